"""Matching emails through Django's SMTP backend to a real SMTP server on loopback (aiosmtpd).

The same pattern as tandem/core/tests/test_email_smtp.py, whose server fixture is reused.
"""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.conf import settings
from django.test import TestCase
from django.urls import reverse

from tandem.core.testing import make_personas
from tandem.core.tests.test_email_smtp import (  # noqa: F401 - smtp_server is the fixture
    Recorder,
    smtp_server,
    smtp_settings,
)
from tandem.matching import services
from tandem.matching.models import DraftMatch, MatchingRules, MatchRun, RunStatus
from tandem.matching.self_match import match_request_send
from tandem.matching.tests.people import add_mentor

PRIVATE_WORDS = ("woman", "gender")  # Mia's private answer and the rule that reads it


class MatchingSmtpTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        program.self_matching = True
        program.save(update_fields=["self_matching"])
        MatchingRules.objects.create(program=program)
        cls.sol = add_mentor(
            program, "sol@northwind.example", capacity=1, department="Sales", gender="Woman"
        )

    @pytest.fixture(autouse=True)
    def _smtp(self, smtp_server: tuple[Recorder, int]) -> None:  # noqa: F811 - the fixture
        self.server, self.port = smtp_server

    def smtp(self):
        return smtp_settings(self.port)

    def delivered(self) -> dict[str, tuple[EmailMessage, dict[str, str]]]:
        """Each message the server accepted, by its one recipient, with its parts by type."""
        found = {}
        for envelope in self.server.envelopes:
            self.assertEqual(envelope.mail_from, "tandem@localhost")
            self.assertEqual(len(envelope.rcpt_tos), 1)
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.assertEqual(message["To"], envelope.rcpt_tos[0])
            self.assertEqual(message.get_content_type(), "multipart/alternative")
            parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
            self.assertEqual(set(parts), {"text/plain", "text/html"})
            found[envelope.rcpt_tos[0]] = (message, parts)
        return found

    def assert_nothing_private(self, message: EmailMessage, parts: dict[str, str]) -> None:
        for text in (str(message["Subject"]), parts["text/plain"], parts["text/html"]):
            for word in PRIVATE_WORDS:
                self.assertNotIn(word, text.lower())

    def test_match_made_reaches_both_people_with_the_link_and_nothing_private(self):
        p = self.p
        run = MatchRun.objects.create(
            program=p.program,
            created_by=p.coordinator,
            status=RunStatus.DONE,
            problem={
                "criteria": [
                    {"name": "Same gender", "mentee": "gender", "mentor": "gender"},
                    {"name": "Same department", "mentee": "department", "mentor": "department"},
                ]
            },
        )
        draft = DraftMatch.objects.create(
            run=run,
            mentee=p.mentee_participant,
            mentor=self.sol,
            score=1.0,
            reasons=[
                {"criterion": "Same gender", "value": 1.0, "detail": "same: woman"},
                {"criterion": "Same department", "value": 1.0, "detail": "same: sales"},
            ],
        )
        with self.smtp(), self.captureOnCommitCallbacks(execute=True):
            relationship = services.draft_approve(
                program=p.program, draft_id=draft.pk, actor=p.coordinator
            )
            self.assertEqual(self.server.envelopes, [])  # nothing before the commit

        delivered = self.delivered()
        self.assertEqual(set(delivered), {p.mentee.email, "sol@northwind.example"})
        link = settings.SITE_URL + reverse("mentorships:relationship", args=[relationship.pk])
        for address, (message, parts) in delivered.items():
            self.assertEqual(message["Subject"], f"You have a match in {p.program.name}")
            self.assertIn(link, parts["text/plain"])
            self.assertIn(f'href="{link}"', parts["text/html"])
            name = "Mia Mentee" if address == p.mentee.email else "Sol"
            self.assertIn(f"Hello {name},", parts["text/plain"])
            self.assert_nothing_private(message, parts)

    def test_request_received_reaches_the_mentor_with_the_link_and_nothing_private(self):
        p = self.p
        with self.smtp(), self.captureOnCommitCallbacks(execute=True):
            match_request_send(
                mentee=p.mentee_participant, mentor=self.sol, message="Could we talk about sales?"
            )
            self.assertEqual(self.server.envelopes, [])

        delivered = self.delivered()
        self.assertEqual(list(delivered), ["sol@northwind.example"])
        message, parts = delivered["sol@northwind.example"]
        self.assertEqual(
            message["Subject"], f"A mentee asks you to be their mentor in {p.program.name}"
        )
        link = settings.SITE_URL + reverse("matching:my_requests", args=[p.program.pk])
        self.assertIn(link, parts["text/plain"])
        self.assertIn(f'href="{link}"', parts["text/html"])
        self.assertIn(
            f"Mia Mentee asks you to be their mentor in {p.program.name}.", parts["text/plain"]
        )
        self.assert_nothing_private(message, parts)
