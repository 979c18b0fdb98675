"""A goal is seen exactly as the PRODUCT.md privacy table says, cell by cell.

Mia keeps three goals: a private one, one shared with Marco, one shared with Marco and the
coordinator. Every text field of each (title, why, success criteria, a task) holds its own
canary. Then: Mia sees all of them; Marco sees the shared goals' titles, criteria and tasks but
not why they matter to her, and nothing of the private goal; the coordinator sees the title of
the goal shared with them (and its progress) and nothing else; the org admin, another
program's coordinator, the outsider and another pair of the program see none of it, on any
page the access matrix opens to them, in any email, notification or log line.
"""

from __future__ import annotations

import logging
import re

from django.core import mail
from django.urls import reverse

from tandem.accounts.models import Notification
from tandem.core.tests.test_access_matrix import AccessMatrixWalk
from tandem.mentorships.goals import services
from tandem.mentorships.models import GoalSharing
from tandem.mentorships.tests.pairs import another_pair

FIELDS = ("title", "why", "criteria", "task")
SHARINGS = {
    "private": GoalSharing.PRIVATE,
    "partners": GoalSharing.PARTNERS,
    "coordinator": GoalSharing.COORDINATOR,
}


def canary(sharing: str, field: str) -> str:
    return f"canary-goal-{sharing}-{field}-9c1e"


ALL = {canary(s, f) for s in SHARINGS for f in FIELDS}
# What the partner may see: the shared goals' title, criteria and tasks (not why).
FOR_PARTNER = {canary(s, f) for s in ("partners", "coordinator") for f in FIELDS if f != "why"}
FOR_COORDINATOR = {canary("coordinator", "title")}
ANY_CANARY = re.compile(r"canary-goal-\w+-\w+-9c1e")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class GoalPrivacyTests(AccessMatrixWalk):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_relationship, cls.nia, cls.nico = another_pair(cls.p)

    def setUp(self):
        super().setUp()
        self.log = _Capture()
        root = logging.getLogger()
        root.addHandler(self.log)
        self.addCleanup(root.removeHandler, self.log)
        self.goal_ids = {}
        for name, sharing in SHARINGS.items():
            saved = services.goal_create(
                relationship_id=self.matching.relationship.pk,
                user=self.p.mentee,
                title=canary(name, "title"),
                why=canary(name, "why"),
                success_criteria=canary(name, "criteria"),
                tasks=[canary(name, "task"), "a plain second task"],
                sharing=sharing,
            )
            task = saved.goal.tasks.first()
            services.goal_task_mark(task_id=task.pk, user=self.p.mentee, done=True)
            self.goal_ids[name] = saved.goal.pk

    def found(self, html: str) -> set[str]:
        return set(ANY_CANARY.findall(html))

    def workspace(self):
        return reverse("mentorships:relationship", args=[self.matching.relationship.pk])

    def test_the_owner_sees_every_field_of_every_goal(self):
        response = self.request_as("mentee", "GET", self.workspace())
        self.assertEqual(self.found(response.content.decode()), ALL)
        for goal_id in self.goal_ids.values():
            edit = self.request_as(
                "mentee", "GET", reverse("mentorships:goal_edit", args=[goal_id])
            )
            self.assertEqual(edit.status_code, 200)

    def test_the_partner_sees_shared_goals_without_why_and_nothing_of_the_private_one(self):
        response = self.request_as("mentor", "GET", self.workspace())
        self.assertEqual(self.found(response.content.decode()), FOR_PARTNER)
        # The progress of each shared goal: the two here and the fixture's (shared too).
        self.assertContains(response, 'max="100" value="50"', count=3)
        for goal_id in self.goal_ids.values():
            edit = self.request_as(
                "mentor", "GET", reverse("mentorships:goal_edit", args=[goal_id])
            )
            self.assertEqual(edit.status_code, 404)

    def test_sharing_decides_at_display_time(self):
        self.client.force_login(self.p.mentee)
        self.client.post(
            reverse("mentorships:goal_share", args=[self.goal_ids["partners"]]),
            {"sharing": "private"},
        )
        response = self.request_as("mentor", "GET", self.workspace())
        self.assertEqual(
            self.found(response.content.decode()),
            {canary("coordinator", f) for f in ("title", "criteria", "task")},
        )

    def test_the_coordinator_sees_the_title_and_progress_of_the_goal_shared_with_them_only(self):
        overview = reverse(
            "mentorships:relationship_overview",
            args=[self.p.program.pk, self.matching.relationship.pk],
        )
        for persona in ("coordinator", "admin"):
            response = self.request_as(persona, "GET", overview)
            self.assertEqual(self.found(response.content.decode()), FOR_COORDINATOR, persona)
            self.assertContains(response, 'value="50"')
            # Not even how many goals there are beyond it.
            self.assertNotContains(response, "goals set")
            self.assertNotContains(response, "private")

    def test_no_page_of_anyone_else_shows_any_goal(self):
        walked = 0
        for persona, name, url in self.pages_each_persona_may_see():
            response = self.request_as(persona, "GET", url)
            seen = self.found(response.content.decode())
            allowed = {
                "mentee": ALL,
                "mentor": FOR_PARTNER,
                "coordinator": FOR_COORDINATOR,
                "admin": FOR_COORDINATOR,
            }.get(persona, set())
            walked += 1
            self.assertLessEqual(seen, allowed, f"{url} ({name}) as {persona}")
        self.assertGreater(walked, 80)

    def test_another_participant_of_the_program_sees_none_of_it(self):
        goal_urls = [
            reverse(name, args=[goal_id])
            for goal_id in self.goal_ids.values()
            for name in ("mentorships:goal_edit",)
        ]
        for user in (self.nia, self.nico):
            self.client.force_login(user)
            for url in [
                reverse("home"),
                reverse("programs:my_program", args=[self.p.program.pk]),
                reverse("mentorships:relationship", args=[self.other_relationship.pk]),
                self.workspace(),
                *goal_urls,
            ]:
                response = self.client.get(url)
                self.assertEqual(self.found(response.content.decode()), set(), url)
            response = self.client.post(
                reverse("mentorships:goal_share", args=[self.goal_ids["private"]]),
                {"sharing": "coordinator"},
            )
            self.assertEqual(response.status_code, 404)

    def test_no_email_notification_or_log_line_carries_any(self):
        # A few refusals and page loads, so that the request log has lines to search.
        for persona in ("outsider", "mentor", "coordinator"):
            self.request_as(persona, "GET", reverse("mentorships:goal_edit", args=[1]))
        for message in mail.outbox:
            html = "".join(str(content) for content, _ in message.alternatives)
            self.assertFalse(self.found(f"{message.subject}{message.body}{html}"), message.to)
        self.assertFalse(Notification.objects.filter(text__contains="canary-goal").exists())
        self.assertTrue(self.log.lines)
        self.assertFalse([line for line in self.log.lines if ANY_CANARY.search(line)])
