"""The man pages cannot drift from the code: every option each program's --help lists, and every
key the config parser accepts, is documented in the matching page, and the pages document nothing
that the code does not have."""

import os
import re

import harness
import man_text
from harness import UDPECHOD, run

LIST_CONFIG_KEYS = os.environ.get("UDPECHO_LIST_CONFIG_KEYS", "")
UDPECHO = os.environ["UDPECHO"]


class ManPagesMatchTheCode(harness.unittest.TestCase):
    def check_program(self, program, page):
        self.assertTrue(program and os.access(program, os.X_OK),
                        f"{page} documents a program that was not built ({program!r})")
        help_text = run([program, "--help"]).stdout
        listed = man_text.help_options(help_text)
        self.assertGreater(len(listed), 3, "found too few options in --help:\n" + help_text)
        text = man_text.render(page)
        options_section = man_text.section(text, "OPTIONS")
        missing = [o for o in listed if not man_text.mentions(options_section, o)]
        self.assertEqual(missing, [], f"options in {program} --help missing from {page} OPTIONS")
        # The other way round: an option the page documents that --help does not list is stale.
        documented = []
        for line in options_section.splitlines():
            if re.match(r" {7}-", line):  # a definition term at the page's first indent
                documented += [o for o in man_text.OPTION.findall(line) if o not in documented]
        stale = [o for o in documented if o not in listed]
        self.assertEqual(stale, [], f"{page} documents options that {program} --help lacks")
        if man_text.help_exit_codes(help_text):
            exit_section = man_text.section(text, "EXIT STATUS")
            codes = [c for c in man_text.help_exit_codes(help_text)
                     if not man_text.mentions(exit_section, c)]
            self.assertEqual(codes, [], f"exit codes in --help missing from {page}")
        return listed

    def test_daemon_options(self):
        listed = self.check_program(UDPECHOD, "udpechod.8")
        print(f"udpechod(8) documents all {len(listed)} options of --help: {' '.join(listed)}")

    def test_client_options(self):
        listed = self.check_program(UDPECHO, "udpecho.1")
        print(f"udpecho(1) documents all {len(listed)} options of --help: {' '.join(listed)}")

    def test_config_keys(self):
        keys = run([LIST_CONFIG_KEYS]).stdout.split()
        self.assertIn("port", keys)
        text = man_text.render("udpechod.conf.5")
        keys_section = man_text.section(text, "KEYS")
        # Each key is a definition term: "key = value" at the first indent of the section.
        documented = re.findall(r"^ {7}([a-z0-9_]+) = ", keys_section, re.MULTILINE)
        missing = [k for k in keys if k not in documented]
        self.assertEqual(missing, [], "config keys the parser accepts, missing from udpechod.conf(5)")
        stale = [k for k in documented if k not in keys]
        self.assertEqual(stale, [], "udpechod.conf(5) documents keys the parser does not accept")
        for key in keys:
            # The entry runs to the next line at the first indent (the next key or heading).
            entry = re.split(r"\n {0,7}(?=\S)",
                             keys_section.split(f"\n       {key} = ", 1)[1])[0]
            with self.subTest(key=key):
                self.assertIn("Type:", entry)
                self.assertIn("Example:", entry)
        print(f"udpechod.conf(5) documents all {len(keys)} keys: {' '.join(keys)}")

    def test_daemon_page_has_the_required_sections(self):
        text = man_text.render("udpechod.8")
        for heading in ("SYNOPSIS", "OPTIONS", "SIGNALS", "EXIT STATUS", "FILES", "THE JOURNAL",
                        "SOCKET ACTIVATION", "SECURITY"):
            with self.subTest(heading=heading):
                self.assertTrue(man_text.section(text, heading).strip())
        signals = man_text.section(text, "SIGNALS")
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            self.assertTrue(man_text.mentions(signals, name), name)


if __name__ == "__main__":
    harness.main()
