"""A Debian 12 (bookworm) root file system for package tests, built once and cached under /var/tmp.

The mirror is whatever this machine's apt already uses for bookworm, read from its sources at run
time, so the project names no archive host. The cache is shared between runs and guarded by a lock;
a half-built tree is never used because it only gets its final name once debootstrap succeeded.

The tree stays exactly as debootstrap made it: the fresh-machine test needs a bare Debian. What a
package test installs goes into a copy beside it (tree_with).
"""

import fcntl
import glob
import os
import shutil
import subprocess

CACHE_DIR = os.environ.get("UDPECHO_ROOTFS_CACHE", "/var/tmp/udpecho-test-rootfs")
SUITE = "bookworm"
# What a booted, minimal Debian needs for the checks: an init, a bus for systemctl, and man.
INCLUDE = ["systemd", "systemd-sysv", "dbus", "man-db"]
# Bump when INCLUDE or the way the tree is made changes, so an old cache is rebuilt.
RECIPE = "1:" + ",".join(INCLUDE)
# The bare tree; "bookworm" alone was a tree that package tests installed into.
BARE = SUITE + "-bare"


def _sources_entries():
    """Yields (uri, suites) for every 'deb' source this machine's apt knows."""
    one_line = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    for path in one_line:
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError:
            continue
        for line in lines:
            words = line.split("#", 1)[0].split()
            if len(words) >= 3 and words[0] == "deb":
                if words[1].startswith("["):  # options such as [signed-by=...]
                    while words and not words[0].endswith("]"):
                        words.pop(0)
                    words = ["deb"] + words[1:]
                if len(words) >= 3:
                    yield words[1], [words[2]]
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        try:
            stanzas = open(path, encoding="utf-8").read().split("\n\n")
        except OSError:
            continue
        for stanza in stanzas:
            fields = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[0].isspace():
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
            if "deb" in fields.get("types", []) and fields.get("enabled", ["yes"]) != ["no"]:
                for uri in fields.get("uris", []):
                    yield uri, fields.get("suites", [])


def bookworm_mirror():
    """The first archive this machine's apt uses for the bookworm suite itself."""
    for uri, suites in _sources_entries():
        if SUITE in suites:
            return uri
    raise RuntimeError(f"no apt source for suite '{SUITE}' in /etc/apt/sources.list*")


def _locked():
    """The cache's lock, held for the duration of a `with` block."""
    lock = open(os.path.join(CACHE_DIR, "lock"), "w", encoding="utf-8")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def _replace_stale(*paths):
    for stale in paths:
        if os.path.lexists(stale):
            shutil.rmtree(stale)


def ensure_rootfs(log=print):
    """Returns the path of a ready bookworm tree, running debootstrap first if there is none."""
    os.makedirs(CACHE_DIR, exist_ok=True)
    root = os.path.join(CACHE_DIR, BARE)
    stamp = root + ".recipe"
    with _locked():
        if os.path.isdir(root) and _read(stamp) == RECIPE:
            return root
        partial = root + ".partial"
        _replace_stale(partial, root)
        mirror = bookworm_mirror()
        log(f"debootstrap {SUITE} into {root} (cached for later runs)")
        result = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=" + ",".join(INCLUDE), SUITE,
             partial, mirror],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200)
        if result.returncode != 0:
            raise RuntimeError("debootstrap failed:\n" + result.stdout[-3000:]
                               + result.stderr[-3000:])
        os.rename(partial, root)
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(RECIPE)
        return root


def tree_with(depends, log=print):
    """Returns a copy of the bookworm tree with what a package's Depends field names installed
    from the same mirror; the copy is cached beside the tree and kept up to date with apt.

    apt runs in a plain (not booted) container on the host's network, so the later, booted test
    container can stay offline and install the package with dpkg alone.
    """
    base = ensure_rootfs(log)
    root = os.path.join(CACHE_DIR, SUITE + "-depends")
    stamp = root + ".recipe"
    with _locked():
        if not (os.path.isdir(root) and _read(stamp) == RECIPE):
            partial = root + ".partial"
            _replace_stale(partial, root)
            subprocess.run(["cp", "-a", "--reflink=auto", base, partial], check=True)
            os.rename(partial, root)
            with open(stamp, "w", encoding="utf-8") as f:
                f.write(RECIPE)
        _install(root, depends, log)
    return root


def _install(root, depends, log):
    base = ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--pipe",
            "-D", root, "--resolv-conf=copy-host", "--setenv=DEBIAN_FRONTEND=noninteractive"]
    satisfy = base + ["apt-get", "satisfy", "-y", "-q", "--no-install-recommends", depends]
    first = subprocess.run(satisfy, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=600)
    if first.returncode == 0:
        return
    log("installing the package's dependencies into " + root)
    update = subprocess.run(base + ["apt-get", "update", "-q"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=600)
    second = subprocess.run(satisfy, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=600)
    if second.returncode != 0:
        raise RuntimeError("cannot install dependencies '" + depends + "':\n"
                           + update.stdout[-2000:] + update.stderr[-2000:]
                           + second.stdout[-2000:] + second.stderr[-2000:])


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return None


if __name__ == "__main__":
    print(ensure_rootfs())
