"""Text that people write is never rendered as HTML: not in pages, titles, fragments or emails.

Every text field of the shared personas (names, program and organization names, descriptions,
guidelines, referral pathways, questions with their help texts and choices, answers, messages,
notes) is filled with script, `<img onerror>`, attribute-breaking and `javascript:` payloads;
then every page the access matrix opens to each persona is fetched and parsed. No element or
attribute may come from a payload, no link may be `javascript:`, and each page has one plain
<title>. The HTML emails are rendered with a payload in every variable they use.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.test import SimpleTestCase
from django.urls import reverse

from tandem.accounts.models import Notification, User
from tandem.core.tests.test_access_matrix import AccessMatrixWalk
from tandem.matching.models import Criterion, MatchRequest
from tandem.mentorships.models import (
    Agenda,
    Goal,
    GoalSharing,
    GoalTask,
    Message,
    Relationship,
    RelationshipMember,
    Session,
)
from tandem.organizations.models import Organization
from tandem.programs.models import (
    AgendaTemplate,
    Answer,
    Program,
    Question,
    QuestionKind,
    ReferralPathway,
)

# Each breaks out in its own way: an element, a handler on a new element, out of a
# double-quoted attribute, out of a single-quoted one.
PAYLOAD = (
    "<script>alert(1)</script><img src=x onerror=alert(1)>"
    "\"><svg onload=alert(1)>' onmouseover='alert(1)"
)
SCRIPT_LINK = "javascript:alert(1)"
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data"}
_COMPACT = re.compile(r"[\x00-\x20\x7f]")
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class PayloadFinder(HTMLParser):
    """Collects every element or attribute a payload could have created."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> not from /static/: {attrs}")
        # Tandem draws charts as <svg class="chart-svg">; any other <svg> came from a payload.
        drawn = tag == "svg" and values.get("class") == "chart-svg"
        if (tag == "svg" and not drawn) or (tag == "img" and values.get("src") == "x"):
            self.problems.append(f"<{tag}> from a payload: {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>: an event handler")
            if name in _URL_ATTRIBUTES and value is not None:
                scheme = _COMPACT.sub("", value).lower()
                if scheme.startswith(("javascript:", "vbscript:")) or (
                    scheme.startswith("data:") and value != "data:,"  # the empty favicon
                ):
                    self.problems.append(f"<{tag} {name}={value!r}>: a script link")

    handle_startendtag = handle_starttag


def payload_problems(html: str) -> list[str]:
    finder = PayloadFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def title_problems(html: str) -> list[str]:
    """A whole page has exactly one <title> in its head, and its source holds text only."""
    if "<html" not in html.lower():
        return []  # an htmx fragment
    titles = TITLE.findall(html.split("</head>", 1)[0])  # a chart's <svg> has its own titles
    if len(titles) != 1:
        return [f"{len(titles)} <title> elements"]
    title = titles[0]
    problems = []
    if "<" in title or ">" in title:
        problems.append(f"markup in <title>: {title[:120]!r}")
    if "csrfmiddlewaretoken" in title:
        problems.append("a CSRF token in <title>")
    if not title.strip():
        problems.append("an empty <title>")
    return problems


class RenderedTextTests(AccessMatrixWalk):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        p = cls.p
        User.objects.update(full_name=PAYLOAD)
        Organization.objects.update(name=PAYLOAD)
        Program.objects.update(
            name=PAYLOAD,
            description=PAYLOAD,
            objectives=PAYLOAD,
            guidelines=PAYLOAD,
            goal_prompts=f"{PAYLOAD}\n{SCRIPT_LINK}",
        )
        ReferralPathway.objects.update(
            name=PAYLOAD, description=PAYLOAD, contact=SCRIPT_LINK, when_to_use=PAYLOAD
        )
        Question.objects.update(label=PAYLOAD, help_text=PAYLOAD)
        for question in (p.q_goals, p.q_department, p.q_gender):
            question.refresh_from_db()
            question.choices = [*question.choices, PAYLOAD, SCRIPT_LINK]
            question.save(update_fields=["choices"])
        Answer.objects.filter(question=p.q_department).update(value=PAYLOAD)
        Answer.objects.filter(question=p.q_goals).update(value=[PAYLOAD, SCRIPT_LINK])
        about = Question.objects.create(
            program=p.program,
            slug="about",
            label=PAYLOAD,
            help_text=PAYLOAD,
            kind=QuestionKind.LONG_TEXT,
            required=False,
            position=9,
        )
        Answer.objects.bulk_create(
            [
                Answer(participant=p.mentee_participant, question=about, value=PAYLOAD),
                Answer(participant=p.mentor_participant, question=about, value=SCRIPT_LINK),
            ]
        )
        Criterion.objects.update(name=PAYLOAD)
        MatchRequest.objects.update(message=PAYLOAD, response_note=PAYLOAD)
        Relationship.objects.update(override_reason=PAYLOAD)
        Session.objects.update(place=PAYLOAD, response_note=PAYLOAD, cancel_reason=PAYLOAD)
        Agenda.objects.update(title=PAYLOAD, prompts=[PAYLOAD, SCRIPT_LINK], answers=[PAYLOAD])
        AgendaTemplate.objects.update(title=PAYLOAD, prompts=[PAYLOAD, SCRIPT_LINK])
        # Shared with the coordinator too, so that every page that shows a goal shows a payload.
        Goal.objects.update(
            title=PAYLOAD, why=PAYLOAD, success_criteria=PAYLOAD, sharing=GoalSharing.COORDINATOR
        )
        GoalTask.objects.update(text=PAYLOAD)
        # A message from each side: the payloads, a script link, and web addresses that try to
        # break out of the href they become.
        for member in RelationshipMember.objects.filter(relationship=cls.matching.relationship):
            Message.objects.create(
                relationship=cls.matching.relationship,
                author=member,
                body=f"{PAYLOAD}\n{SCRIPT_LINK}\nhttps://example.com/{PAYLOAD}\n"
                f'https://example.com/a"onmouseover="alert(1)',
            )
        Notification.objects.bulk_create(
            Notification(user=user, kind="match_made", text=PAYLOAD, url="/")
            for user in User.objects.all()
        )

    def test_no_payload_is_rendered_as_html_on_any_page(self):
        failures = []
        walked = 0
        for persona, name, url in self.pages_each_persona_may_see():
            response = self.request_as(persona, "GET", url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            walked += 1
            html = response.content.decode()
            for problem in payload_problems(html) + title_problems(html):
                failures.append(f"{url} ({name}) as {persona}: {problem}")
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertGreater(walked, 60)

    def test_the_payloads_are_shown_as_text(self):
        """The walk is only meaningful if the payloads reach the pages, as text."""
        self.client.force_login(self.p.mentee)
        response = self.client.get(reverse("programs:my_profile", args=[self.p.program.pk]))
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;")
        response = self.client.get(reverse("programs:support", args=[self.p.program.pk]))
        self.assertContains(response, SCRIPT_LINK)
        # The session's place, notes and agenda reach the partner's page, escaped: the program
        # name in the title, the place, both notes, the agenda's title, a prompt, an answer.
        self.client.force_login(self.p.mentor)
        response = self.client.get(reverse("mentorships:session", args=[self.sessions.session.pk]))
        self.assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt;", count=7)
        # Mia's goal reaches her workspace (title, why, criteria, two tasks and their remove
        # labels: 7 more payloads than without the goal), Marco's (Mia's name over her shared
        # goals, title, criteria, two tasks: 5 more), the coordinator's view (its title), and
        # the goal form shows the program's prompts.
        goal = self.goals.goal
        workspace = reverse("mentorships:relationship", args=[goal.relationship_id])
        escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"

        def payloads(user):
            self.client.force_login(user)
            return self.client.get(workspace).content.decode().count(escaped)

        with_goal = {user: payloads(user) for user in (self.p.mentee, self.p.mentor)}
        self.client.force_login(self.p.mentee)
        response = self.client.get(reverse("mentorships:goal_edit", args=[goal.pk]))
        self.assertContains(response, f"<li>{escaped}", count=1)  # the program's prompt
        self.client.force_login(self.p.coordinator)
        overview = reverse(
            "mentorships:relationship_overview", args=[self.p.program.pk, goal.relationship_id]
        )
        self.assertContains(self.client.get(overview), f"<li>{escaped}")
        Goal.objects.all().delete()
        self.assertEqual(with_goal[self.p.mentee] - payloads(self.p.mentee), 7)
        self.assertEqual(with_goal[self.p.mentor] - payloads(self.p.mentor), 5)
        # Both messages reach both members' messages page and workspace, escaped (the walk
        # above), with their web addresses as links that end where the markup would begin.
        messages = reverse("mentorships:messages", args=[goal.relationship_id])
        for user in (self.p.mentee, self.p.mentor):
            self.client.force_login(user)
            for url in (messages, workspace):
                page = self.client.get(url)
                self.assertContains(page, 'href="https://example.com/" rel="nofollow noopener"', 2)
                self.assertContains(page, 'href="https://example.com/a" rel="nofollow noopener"', 2)


def _email_templates() -> list[Path]:
    folder = Path(settings.BASE_DIR) / "templates" / "emails"
    return sorted(path for path in folder.glob("*.html") if not path.name.startswith("_"))


class HtmlEmailTests(SimpleTestCase):
    def test_html_emails_escape_every_variable(self):
        failures = []
        for path in _email_templates():
            source = path.read_text()
            names = set(re.findall(r"{{\s*(\w+)", source)) | set(
                re.findall(r"{%\s*if\s+(\w+)", source)
            )
            html = render_to_string(f"emails/{path.name}", dict.fromkeys(names, PAYLOAD))
            self.assertIn("&lt;script&gt;", html, path.name)
            for problem in payload_problems(html):
                failures.append(f"{path.name}: {problem}")
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertGreater(len(_email_templates()), 5)
