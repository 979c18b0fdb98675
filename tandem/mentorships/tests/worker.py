"""A test case with nothing but the task worker (the database backend, no cron), a clock the
worker shares, and a real SMTP server on loopback: what was delivered, by subject."""

from __future__ import annotations

from email import message_from_bytes, policy
from unittest import mock

import pytest
from django.test import TransactionTestCase

from tandem.core.testing import make_personas
from tandem.core.tests.test_email_smtp import Recorder, smtp_server, smtp_settings
from tandem.matching.tests.test_self_match import Clock

__all__ = ["WorkerSmtpTestCase", "smtp_server"]  # the pytest fixture, used by name


class WorkerSmtpTestCase(TransactionTestCase):
    @pytest.fixture(autouse=True)
    def _smtp(self, smtp_server: tuple[Recorder, int]) -> None:
        self.server, self.port = smtp_server

    def setUp(self):
        self.enterContext(
            self.settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
        )
        self.enterContext(smtp_settings(self.port))
        self.clock = Clock()
        self.enterContext(mock.patch("django.utils.timezone.now", self.clock))
        self.p = make_personas()

    def delivered(self, subject: str) -> list[str]:
        """The addresses the SMTP server received an email of this subject for, sorted."""
        found = []
        for envelope in self.server.envelopes:
            message = message_from_bytes(envelope.content, policy=policy.default)
            if message["Subject"] == subject:
                found.append(message["To"])
        return sorted(found)
