"""Reads the built man pages as a reader sees them, and the options a program's --help lists."""

import os
import re
import subprocess

MAN_DIR = os.environ.get("UDPECHO_MAN_DIR", "")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z0-9])(?![\w-])")


def page_path(page):
    return os.path.join(MAN_DIR, page)


def render(page):
    """The page as plain text: no hyphenation, no line breaks inside paragraphs, ASCII hyphens."""
    result = subprocess.run(
        ["groff", "-man", "-Tascii", "-rLL=2000n", "-rHY=0", "-P-c", "-P-b", "-P-u", "-P-o",
         page_path(page)],
        capture_output=True, text=True, check=True, timeout=30)
    return result.stdout


def section(text, heading):
    """The body of a top-level section (a line of capitals at the left margin) of rendered text."""
    lines = text.splitlines()
    body = []
    inside = False
    for line in lines:
        if re.fullmatch(r"[A-Z][A-Z ]+", line):
            inside = line == heading
            continue
        if inside:
            body.append(line)
    if not inside and not body:
        raise AssertionError(f"the page has no {heading} section")
    return "\n".join(body)


def help_options(help_text):
    """Options from the option table of a --help text: the tokens in front of each description.

    An option line starts with white space and a dash; its option column ends at the first run of
    two spaces, so words in the description ("-- overrides 'bind'") are not taken for options.
    """
    options = []
    for line in help_text.splitlines():
        stripped = line.strip()
        if not line[:1].isspace() or not stripped.startswith("-"):
            continue
        column = re.split(r"\s{2,}", stripped, maxsplit=1)[0]
        for option in OPTION.findall(column):
            if option not in options:
                options.append(option)
    return options


def help_exit_codes(help_text):
    """Exit codes from an "Exit status" block of a --help text: lines starting with a number."""
    codes = []
    inside = False
    for line in help_text.splitlines():
        if re.match(r"exit (status|codes?)", line.strip(), re.IGNORECASE):
            inside = True
            continue
        if inside:
            m = re.match(r"\s+(\d+)\s", line)
            if m:
                codes.append(m.group(1))
            elif line.strip() and not line[:1].isspace():
                inside = False
    return codes


def mentions(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None
