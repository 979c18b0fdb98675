"""Static checks over every template of the project: what a page may hold, read from the source.

Page titles are plain text in one line: an unclosed `{% block title %}` swallows whatever follows
it (a heading, a form, its CSRF token) into the browser tab. No page holds inline script or
style, because the Content-Security-Policy forbids them (HTML emails are not web pages and keep
their inline styles).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

TITLE_BLOCK = re.compile(r"{%\s*block\s+title\s*%}")
TITLE_LINE = re.compile(r"{%\s*block\s+title\s*%}(?P<title>.*?){%\s*endblock(?:\s+title)?\s*%}")
# What the Content-Security-Policy blocks when it is inline in a page.
INLINE_CODE = [
    ("an inline <script>", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)),
    ("a <style> element", re.compile(r"<style\b", re.IGNORECASE)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.IGNORECASE)),
    ("an event-handler attribute", re.compile(r"\s(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.IGNORECASE)),
    ("a javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
]


def project_templates() -> list[Path]:
    """Every template of the project: templates/ and each app's templates/ folder."""
    base = Path(settings.BASE_DIR)
    roots = [base / "templates", *sorted((base / "tandem").glob("**/templates"))]
    return sorted({path for root in roots for path in root.glob("**/*.html")})


def is_email(path: Path) -> bool:
    return "emails" in path.parts


class TemplateSourceTests(SimpleTestCase):
    def test_the_walk_finds_the_templates(self):
        names = {path.name for path in project_templates()}
        self.assertTrue({"base.html", "form.html", "invitations.html", "rules.html"} <= names)

    def test_title_blocks_are_closed_on_their_line_and_hold_no_tags(self):
        problems = []
        for path in project_templates():
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if not TITLE_BLOCK.search(line):
                    continue
                where = f"{path.relative_to(settings.BASE_DIR)}:{number}"
                if line.count("{% block") > 1 and "<title>" not in line:
                    problems.append(f"{where}: one block per line")
                match = TITLE_LINE.search(line)
                if match is None:
                    problems.append(f"{where}: block title is not closed on its line")
                elif "<" in match["title"] or ">" in match["title"]:
                    problems.append(f"{where}: block title holds markup")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_pages_hold_no_inline_script_style_or_handlers(self):
        problems = []
        for path in project_templates():
            if is_email(path):
                continue  # HTML emails are not web responses; mail clients need inline styles
            text = path.read_text()
            for what, pattern in INLINE_CODE:
                for match in pattern.finditer(text):
                    number = text.count("\n", 0, match.start()) + 1
                    where = f"{path.relative_to(settings.BASE_DIR)}:{number}"
                    problems.append(f"{where}: {what} ({match.group(0).strip()})")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_no_template_marks_text_safe(self):
        """Text a person wrote is escaped everywhere; no template switches escaping off."""
        unsafe = re.compile(r"\|\s*safe(?:seq)?\b|{%\s*autoescape\s+off")
        problems = []
        for path in project_templates():
            text = path.read_text()
            for match in unsafe.finditer(text):
                number = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(settings.BASE_DIR)}:{number}: {match.group(0)}")
        self.assertEqual(problems, [], "\n".join(problems))
