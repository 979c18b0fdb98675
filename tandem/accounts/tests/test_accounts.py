"""Accounts: email login, logout, password change and reset, throttling, hashing."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse

from tandem.accounts.models import User
from tandem.core.testing import PASSWORD, make_personas

NEW_PASSWORD = "a-long-and-unusual-passphrase"


class LoginTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def log_in(self, username: str, password: str = PASSWORD, **extra: str):
        return self.client.post(
            reverse("login"), {"username": username, "password": password, **extra}
        )

    def logged_in_as(self) -> int | None:
        value = self.client.session.get(SESSION_KEY)
        return int(value) if value is not None else None

    def test_login_with_email_in_any_case(self):
        response = self.log_in("  MIA@Northwind.Example ")
        self.assertRedirects(response, reverse("home"))
        self.assertEqual(self.logged_in_as(), self.p.mentee.pk)

    def test_login_returns_to_the_page_asked_for_but_never_off_site(self):
        target = reverse("programs:my_program", args=[self.p.program.pk])
        response = self.log_in(self.p.mentee.email, next=target)
        self.assertRedirects(response, target)
        self.client.logout()
        response = self.log_in(self.p.mentee.email, next="https://evil.example/")
        self.assertRedirects(response, reverse("home"))

    def test_a_wrong_password_is_refused(self):
        response = self.log_in(self.p.mentee.email, "not-the-password")
        self.assertContains(response, "Please enter a correct email address and password.")
        self.assertIsNone(self.logged_in_as())

    def test_an_invited_person_without_a_password_cannot_log_in(self):
        ivy = User(email="ivy@northwind.example")
        ivy.set_unusable_password()
        ivy.save()
        for guess in ("", "!", PASSWORD):
            response = self.log_in("ivy@northwind.example", guess)
            self.assertEqual(response.status_code, 200)
        self.assertIsNone(self.logged_in_as())

    def test_logout_is_a_post(self):
        self.client.force_login(self.p.mentee)
        self.assertEqual(self.client.get(reverse("logout")).status_code, 405)
        self.assertEqual(self.logged_in_as(), self.p.mentee.pk)
        response = self.client.post(reverse("logout"))
        self.assertRedirects(response, reverse("login"))
        self.assertIsNone(self.logged_in_as())
        response = self.client.get(reverse("home"))
        self.assertRedirects(response, f"{reverse('login')}?next=/")


class PasswordTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_passwords_are_hashed_with_argon2(self):
        self.assertEqual(settings.PASSWORD_HASHERS[0].rsplit(".", 1)[1], "Argon2PasswordHasher")
        user = User.objects.create_user("new@northwind.example", NEW_PASSWORD)
        self.assertEqual(identify_hasher(user.password).algorithm, "argon2")
        self.assertTrue(user.password.startswith("argon2$argon2id$"))
        self.assertNotIn(NEW_PASSWORD, user.password)
        # Signing up through the page too.
        self.client.post(
            reverse("signup"),
            {
                "full_name": "Noor",
                "email": "Noor@Northwind.example",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
        noor = User.objects.get(email="noor@northwind.example")
        self.assertEqual(identify_hasher(noor.password).algorithm, "argon2")

    def test_password_change(self):
        mentee = self.p.mentee
        self.client.force_login(mentee)
        url = reverse("password_change")
        response = self.client.post(
            url,
            {
                "old_password": "wrong",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        self.assertContains(response, "Your old password was entered incorrectly.")
        response = self.client.post(
            url,
            {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
        )
        self.assertContains(response, "This password is too short.")
        mentee.refresh_from_db()
        self.assertTrue(mentee.check_password(PASSWORD))

        response = self.client.post(
            url,
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        self.assertRedirects(response, reverse("password_change_done"))
        mentee.refresh_from_db()
        self.assertTrue(mentee.check_password(NEW_PASSWORD))
        # The session that changed it stays logged in.
        self.assertEqual(self.client.get(reverse("home")).status_code, 200)

    def reset_link(self) -> str:
        self.assertEqual(len(mail.outbox), 1)
        found = re.search(
            r"https?://[^/\s]+(/accounts/reset/[^/\s]+/[^/\s]+/)", str(mail.outbox[0].body)
        )
        self.assertIsNotNone(found, mail.outbox[0].body)
        return found.group(1)

    def test_password_reset_by_email_after_commit(self):
        mentee = self.p.mentee
        with self.captureOnCommitCallbacks() as callbacks:
            response = self.client.post(
                reverse("password_reset"), {"email": "MIA@northwind.example"}
            )
            self.assertRedirects(response, reverse("password_reset_done"))
            self.assertEqual(mail.outbox, [])  # queued, not sent inside the transaction
        self.assertEqual(len(callbacks), 1)
        callbacks[0]()  # the commit: the task runs (immediately in tests) and sends
        message = mail.outbox[0]
        self.assertEqual(message.to, [mentee.email])
        self.assertEqual([alternative[1] for alternative in message.alternatives], ["text/html"])
        link = self.reset_link()

        response = self.client.get(link)
        set_password_url = response["Location"]
        self.assertTrue(set_password_url.endswith("/set-password/"))
        response = self.client.post(
            set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        self.assertRedirects(response, reverse("password_reset_complete"))
        mentee.refresh_from_db()
        self.assertTrue(mentee.check_password(NEW_PASSWORD))
        # The link works once.
        response = self.client.get(link, follow=True)
        self.assertContains(response, "This link has been used or has expired.")

    def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("password_reset"), {"email": "nobody@northwind.example"}
            )
        self.assertRedirects(response, reverse("password_reset_done"))
        self.assertEqual(mail.outbox, [])

    def test_an_invited_person_can_set_a_password_by_reset(self):
        ivy = User(email="ivy@northwind.example")
        ivy.set_unusable_password()
        ivy.save()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("password_reset"), {"email": "ivy@northwind.example"})
        response = self.client.get(self.reset_link())
        self.client.post(
            response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        ivy.refresh_from_db()
        self.assertTrue(ivy.check_password(NEW_PASSWORD))


class LoginThrottlingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def log_in(self, email: str, password: str):
        return self.client.post(
            reverse("login"), {"username": email, "password": password}, REMOTE_ADDR="10.0.0.7"
        )

    @override_settings(AXES_ENABLED=True)
    def test_repeated_failures_lock_the_login(self):
        limit = settings.AXES_FAILURE_LIMIT
        self.assertGreater(limit, 1)
        email = self.p.mentee.email
        for attempt in range(1, limit):
            response = self.log_in(email, f"wrong-{attempt}")
            self.assertContains(response, "Please enter a correct email address and password.")
        response = self.log_in(email, "wrong-last")
        self.assertContains(response, "Too many failed log-in attempts", status_code=429)
        # Locked: even the right password is refused now.
        response = self.log_in(email, PASSWORD)
        self.assertContains(response, "Too many failed log-in attempts", status_code=429)
        self.assertNotIn(SESSION_KEY, self.client.session)
        # The lock is on this account from this address, not on everyone.
        response = self.log_in(self.p.mentor.email, PASSWORD)
        self.assertRedirects(response, reverse("home"))

    @override_settings(AXES_ENABLED=True)
    def test_writing_the_address_in_another_case_gives_no_fresh_attempts(self):
        limit = settings.AXES_FAILURE_LIMIT
        email = self.p.mentee.email
        for attempt in range(limit):
            spelled = email.upper() if attempt % 2 else email.capitalize()
            self.log_in(spelled, f"wrong-{attempt}")
        response = self.log_in(email, PASSWORD)
        self.assertContains(response, "Too many failed log-in attempts", status_code=429)
        self.assertNotIn(SESSION_KEY, self.client.session)

    @override_settings(AXES_ENABLED=True)
    def test_a_success_before_the_limit_resets_the_count(self):
        limit = settings.AXES_FAILURE_LIMIT
        email = self.p.mentee.email
        for attempt in range(limit - 1):
            self.log_in(email, f"wrong-{attempt}")
        self.assertRedirects(self.log_in(email, PASSWORD), reverse("home"))
        self.client.post(reverse("logout"))
        for attempt in range(limit - 1):
            self.log_in(email, f"wrong-again-{attempt}")
        self.assertRedirects(self.log_in(email, PASSWORD), reverse("home"))
