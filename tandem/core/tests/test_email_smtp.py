"""A product email through Django's SMTP backend to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.test import TestCase, override_settings
from django.urls import reverse

from tandem.accounts.models import User
from tandem.core.testing import make_personas
from tandem.programs import services
from tandem.programs.models import Participant


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd names it so
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def smtp_settings(port: int) -> override_settings:
    """Settings that send through the loopback SMTP server listening on `port`."""
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_TIMEOUT=10,
    )


class SmtpDeliveryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    @pytest.fixture(autouse=True)
    def _smtp(self, smtp_server: tuple[Recorder, int]) -> None:
        self.server, self.port = smtp_server

    def smtp_settings(self) -> Any:
        return smtp_settings(self.port)

    def test_a_program_invitation_reaches_a_real_smtp_server(self):
        p = self.p
        with self.smtp_settings(), self.captureOnCommitCallbacks(execute=True):
            services.participants_invite(
                program=p.program,
                emails=["newcomer@northwind.example"],
                role="mentee",
                invited_by=p.coordinator,
            )
            # Still inside the transaction: nothing has reached the server.
            self.assertEqual(self.server.envelopes, [])

        self.assertEqual(len(self.server.envelopes), 1)
        envelope = self.server.envelopes[0]
        self.assertEqual(envelope.rcpt_tos, ["newcomer@northwind.example"])
        self.assertEqual(envelope.mail_from, "tandem@localhost")
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.assertEqual(message["To"], "newcomer@northwind.example")
        self.assertEqual(message["Subject"], f"You're invited to {p.program.name}")
        self.assertEqual(message.get_content_type(), "multipart/alternative")
        parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
        self.assertEqual(set(parts), {"text/plain", "text/html"})

        participant = Participant.objects.get(user__email="newcomer@northwind.example")
        join_url = settings.SITE_URL + reverse(
            "programs:join_invitation", args=[participant.invitation_token]
        )
        self.assertIn(join_url, parts["text/plain"])
        self.assertIn(f'href="{join_url}"', parts["text/html"])
        self.assertIn("Cora Coordinator invites you to join", parts["text/plain"])

    def test_the_sign_up_verification_email_reaches_a_real_smtp_server(self):
        with self.smtp_settings(), self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("signup"),
                {
                    "full_name": "Noor Newcomer",
                    "email": "noor@northwind.example",
                    "password1": "a-long-and-unusual-passphrase",
                    "password2": "a-long-and-unusual-passphrase",
                },
            )
            self.assertRedirects(response, reverse("signup_sent"))
            self.assertEqual(self.server.envelopes, [])

        (envelope,) = self.server.envelopes
        self.assertEqual(envelope.rcpt_tos, ["noor@northwind.example"])
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.assertEqual(message["Subject"], "Confirm your email address for Tandem")
        parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
        self.assertEqual(set(parts), {"text/plain", "text/html"})
        prefix = settings.SITE_URL + "/accounts/verify/"
        link = next(word for word in parts["text/plain"].split() if word.startswith(prefix))
        self.assertIn(f'href="{link}"', parts["text/html"])
        self.assertIn("Hello Noor Newcomer", parts["text/plain"])
        # The delivered link is the one that verifies the address and logs in.
        self.client.post(link.removeprefix(settings.SITE_URL))
        noor = User.objects.get(email="noor@northwind.example")
        self.assertIsNotNone(noor.email_verified_at)
        self.assertEqual(int(self.client.session["_auth_user_id"]), noor.pk)
