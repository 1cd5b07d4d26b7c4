"""Every built man page is clean roff: `groff -man -ww -z` (all warnings, no output) says nothing."""

import os

import harness
import man_text
from harness import run

PAGES = ["udpechod.8", "udpechod.conf.5", "udpecho.1"]


class ManPagesAreCleanRoff(harness.unittest.TestCase):
    def test_groff_reports_nothing(self):
        for page in PAGES:
            with self.subTest(page=page):
                path = man_text.page_path(page)
                self.assertTrue(os.path.getsize(path) > 1000, f"{path} is missing or empty")
                result = run(["groff", "-man", "-ww", "-z", path])
                self.assertEqual(result.returncode, 0)
                self.assertEqual(result.stdout + result.stderr, "", f"groff warns about {page}")


if __name__ == "__main__":
    harness.main()
