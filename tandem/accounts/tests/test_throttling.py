"""Throttling: account emails per address and per client, and login attempts behind a proxy."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import (
    RequestFactory,
    SimpleTestCase,
    TestCase,
    TransactionTestCase,
    override_settings,
)
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import EmailThrottle, User
from tandem.accounts.throttling import client_address, email_send_allowed
from tandem.core.testing import PASSWORD, make_personas

NEW_PASSWORD = "a-long-and-unusual-passphrase"
PROXY = "10.0.0.1"


class ClientAddressTests(SimpleTestCase):
    def request(self, remote: str, forwarded: str | None = None):
        headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
        return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)

    @override_settings(AXES_ENABLED=True, BEHIND_PROXY=False)
    def test_without_a_proxy_the_forwarded_header_is_ignored(self):
        self.assertEqual(
            client_address(self.request("198.51.100.7", "203.0.113.5")), "198.51.100.7"
        )

    @override_settings(AXES_ENABLED=True, BEHIND_PROXY=True)
    def test_behind_the_proxy_the_entry_it_added_counts(self):
        cases = {
            "203.0.113.5": "203.0.113.5",
            # The client sent the left part; the proxy appended what it saw.
            "1.2.3.4, 203.0.113.5": "203.0.113.5",
            " 2001:db8::1 ": "2001:db8::1",
            "": PROXY,  # no header: the connection's address
            "not-an-address": PROXY,
        }
        for forwarded, expected in cases.items():
            self.assertEqual(client_address(self.request(PROXY, forwarded)), expected, forwarded)


@override_settings(EMAIL_THROTTLE_PER_ADDRESS=3, EMAIL_THROTTLE_PER_CLIENT=5)
class EmailThrottleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def reset(self, email: str, client: str = "198.51.100.7"):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=client)

    def sign_up(self, email: str, client: str = "198.51.100.7"):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                reverse("signup"),
                {
                    "full_name": "Noor",
                    "email": email,
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                },
                REMOTE_ADDR=client,
            )

    def test_password_reset_sends_at_most_three_per_address_an_hour(self):
        email = self.p.mentee.email
        clients = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]
        responses = [
            self.reset(email.upper() if i % 2 else email, c) for i, c in enumerate(clients)
        ]
        for response in responses:  # the same neutral answer, throttled or not
            self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(len(mail.outbox), 3)
        # The count is in the database, not in one process's memory.
        cache.clear()
        self.reset(email, "198.51.100.9")
        self.assertEqual(len(mail.outbox), 3)
        # An hour after the first, one more may go.
        later = timezone.now() + timedelta(hours=1, minutes=1)
        with mock.patch("tandem.accounts.throttling.timezone.now", return_value=later):
            self.reset(email)
        self.assertEqual(len(mail.outbox), 4)

    def test_password_reset_sends_at_most_a_few_per_client_an_hour(self):
        p = self.p
        people = [p.mentee, p.mentor, p.coordinator, p.admin, p.outsider, p.other_coordinator]
        for person in people:
            self.assertRedirects(self.reset(person.email), reverse("password_reset_done"))
        self.assertEqual([m.to[0] for m in mail.outbox], [u.email for u in people[:5]])
        # Another client is not held up.
        self.reset(p.other_coordinator.email, "198.51.100.8")
        self.assertEqual(mail.outbox[-1].to, [p.other_coordinator.email])

    def test_the_table_holds_no_addresses(self):
        self.reset(self.p.mentee.email)
        keys = list(EmailThrottle.objects.values_list("key", flat=True))
        self.assertEqual(len(keys), 2)
        for key in keys:
            self.assertNotIn("northwind", key)
            self.assertNotIn("198.51", key)

    def test_sign_up_emails_are_throttled_the_same_way(self):
        for attempt in range(4):
            response = self.sign_up("noor@northwind.example", f"198.51.100.{attempt}")
            self.assertRedirects(response, reverse("signup_sent"))
        self.assertEqual(len(mail.outbox), 3)
        # Sign-ups, resends and resets share the count per address.
        self.reset("noor@northwind.example", "198.51.100.20")
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("verification_resend"),
                {"email": "noor@northwind.example"},
                REMOTE_ADDR="198.51.100.21",
            )
        self.assertEqual(len(mail.outbox), 3)

    def test_a_throttled_sign_up_creates_no_account(self):
        for i in range(6):
            self.sign_up(f"person{i}@northwind.example")
        self.assertEqual(len(mail.outbox), 5)
        self.assertFalse(User.objects.filter(email="person5@northwind.example").exists())


@override_settings(EMAIL_THROTTLE_PER_ADDRESS=3, EMAIL_THROTTLE_PER_CLIENT=100)
class ConcurrentEmailThrottleTests(TransactionTestCase):
    def test_requests_at_once_on_separate_connections_share_one_count(self):
        # Each thread has its own database connection, as each app process would.
        threads_count = 6
        barrier = threading.Barrier(threads_count)
        allowed: list[bool] = []
        errors: list[BaseException] = []

        def ask(index: int) -> None:
            try:
                barrier.wait()
                allowed.append(
                    email_send_allowed(address="mia@northwind.example", client=f"192.0.2.{index}")
                )
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(threads_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(allowed), [False, False, False, True, True, True])


class LoginThrottlingBehindAProxyTests(TestCase):
    # AXES_ENABLED on each test, not the class: the suite's autouse fixture turns it off after
    # a class-level override is applied.
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def log_in(self, password: str, remote: str, forwarded: str | None = None):
        headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
        self.client.cookies.clear()
        return self.client.post(
            reverse("login"),
            {"username": self.p.mentee.email, "password": password},
            REMOTE_ADDR=remote,
            headers=headers,
        )

    @override_settings(AXES_ENABLED=True, BEHIND_PROXY=True)
    def test_bad_tries_from_one_client_do_not_lock_out_another(self):
        for attempt in range(settings.AXES_FAILURE_LIMIT):
            self.log_in(f"wrong-{attempt}", PROXY, "203.0.113.5")
        response = self.log_in(PASSWORD, PROXY, "203.0.113.5")
        self.assertContains(response, "Too many failed log-in attempts", status_code=429)
        # Mia, from another client behind the same proxy, logs in.
        response = self.log_in(PASSWORD, PROXY, "198.51.100.7")
        self.assertRedirects(response, reverse("home"))
        self.assertEqual(int(self.client.session[SESSION_KEY]), self.p.mentee.pk)

    @override_settings(AXES_ENABLED=True, BEHIND_PROXY=True)
    def test_behind_the_proxy_a_forged_left_entry_gives_no_fresh_attempts(self):
        for attempt in range(settings.AXES_FAILURE_LIMIT):
            self.log_in(f"wrong-{attempt}", PROXY, f"192.0.2.{attempt}, 203.0.113.5")
        response = self.log_in(PASSWORD, PROXY, "192.0.2.99, 203.0.113.5")
        self.assertContains(response, "Too many failed log-in attempts", status_code=429)

    @override_settings(AXES_ENABLED=True, BEHIND_PROXY=False)
    def test_without_a_proxy_a_forged_header_gives_no_fresh_attempts(self):
        for attempt in range(settings.AXES_FAILURE_LIMIT):
            self.log_in(f"wrong-{attempt}", "198.51.100.7", f"192.0.2.{attempt}")
        response = self.log_in(PASSWORD, "198.51.100.7", "192.0.2.99")
        self.assertContains(response, "Too many failed log-in attempts", status_code=429)
        self.assertNotIn(SESSION_KEY, self.client.session)
