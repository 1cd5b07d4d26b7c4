"""The project's files as a fresh clone would have them, copied elsewhere for a test to build.

Tracked and new files as they are in the working tree (not ignored ones), so that build
directories and earlier package builds do not leak into the copy, while uncommitted changes
under test do get in.
"""

import os
import shutil
import subprocess

from harness import SOURCE_ROOT


def file_names():
    """Relative paths of the project's files."""
    listed = subprocess.run(["git", "-C", SOURCE_ROOT, "ls-files", "-z", "-co",
                             "--exclude-standard"], capture_output=True)
    if listed.returncode == 0:
        return [name for name in listed.stdout.decode().split("\0") if name]
    names = []  # not a git checkout (an unpacked tarball): everything but build output
    for top, dirs, files in os.walk(SOURCE_ROOT):
        dirs[:] = [d for d in dirs if top != SOURCE_ROOT
                   or not d.startswith(("build", "obj-", ".git"))]
        names += [os.path.relpath(os.path.join(top, f), SOURCE_ROOT) for f in files]
    return names


def copy_tree(destination):
    """Copies the project's files into `destination`, keeping modes (scripts stay executable)."""
    for name in file_names():
        source = os.path.join(SOURCE_ROOT, name)
        if not os.path.isfile(source):
            continue  # deleted but not yet committed
        target = os.path.join(destination, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)
