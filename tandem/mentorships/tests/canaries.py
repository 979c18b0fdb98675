"""The search behind every privacy test of the workspace: each canary string is written into a
private field, and every page the access matrix opens to each persona, every page a stranger
of the program can open, every email, notification and log line is searched for it. Each
test names who may read each canary (`readers`, by persona); everyone else must not."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core import mail

from tandem.accounts.models import Notification, User
from tandem.core.tests.test_access_matrix import AccessMatrixWalk


class CanaryWalk(AccessMatrixWalk):
    readers: dict[str, set[str]] = {}

    @property
    def canaries(self) -> list[str]:
        return list(self.readers)

    def setUp(self):
        super().setUp()
        self.logs = self.enterContext(self.assertLogs(level=logging.DEBUG))

    def assert_each_persona_reads_only_theirs(self, *urls: str) -> None:
        """On these pages the members read what is theirs, and only that."""
        for persona in ("mentee", "mentor"):
            page = "".join(self.request_as(persona, "GET", u).content.decode() for u in urls)
            for canary in self.canaries:
                if persona in self.readers[canary]:
                    self.assertIn(canary, page, f"{canary} missing for {persona}")
                else:
                    self.assertNotIn(canary, page, f"{canary} shown to {persona}")

    def assert_no_page_shows_what_is_not_theirs(self) -> int:
        """Every page the access matrix opens to each persona; returns how many were read."""
        walked = 0
        for persona, name, url in self.pages_each_persona_may_see():
            page = self.request_as(persona, "GET", url).content.decode()
            walked += 1
            for canary in self.canaries:
                if persona not in self.readers[canary]:
                    self.assertNotIn(canary, page, f"{url} ({name}) as {persona}")
        self.assertGreater(walked, 80)
        return walked

    def assert_strangers_read_none(
        self, users: Iterable[User], readable: Iterable[str], closed: Iterable[str]
    ) -> None:
        """Other participants of the program: the pages they may open show no canary, and the
        pages of the relationship are a 404."""
        readable, closed = list(readable), list(closed)
        for user in users:
            self.client.force_login(user)
            for url in readable:
                page = self.client.get(url).content.decode()
                for canary in self.canaries:
                    self.assertNotIn(canary, page, f"{url} as {user.email}")
            for url in closed:
                self.assertEqual(self.client.get(url).status_code, 404, f"{url} as {user.email}")

    def assert_no_mail_notice_or_log_carries_any(self) -> None:
        for message in mail.outbox:
            html = "".join(str(content) for content, _ in message.alternatives)
            for canary in self.canaries:
                self.assertNotIn(canary, f"{message.subject}{message.body}{html}", message.to)
        for canary in self.canaries:
            self.assertFalse(Notification.objects.filter(text__contains=canary).exists())
        self.assertTrue(self.logs.output)
        for canary in self.canaries:
            self.assertFalse([line for line in self.logs.output if canary in line])
