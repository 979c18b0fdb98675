"""Sign-up verifies the address before the account is anyone's; it reveals no accounts.

The attacks: signing up with someone else's address before a coordinator imports or invites
them (and then reading their private answers), and signing up with an address of a program's
allowed domain without owning it.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta
from unittest import mock

from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse

from tandem.accounts.models import User
from tandem.accounts.verification import verification_token
from tandem.core.testing import PASSWORD, emailed_path, make_personas, make_user
from tandem.programs import services
from tandem.programs.imports import participants_import_csv
from tandem.programs.models import Participant, ParticipantStatus

ATTACKER_PASSWORD = "the-attackers-own-passphrase"
VICTIM_PASSWORD = "the-victims-own-passphrase"
VERIFY = "/accounts/verify/"


class SignUpTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def sign_up(
        self,
        email: str,
        password: str = VICTIM_PASSWORD,
        name: str = "Noor Newcomer",
        client: Client | None = None,
        next_path: str = "",
    ):
        with self.captureOnCommitCallbacks(execute=True):
            return (client or self.client).post(
                reverse("signup"),
                {
                    "full_name": name,
                    "email": email,
                    "password1": password,
                    "password2": password,
                    "next": next_path,
                },
                follow=True,
            )

    def log_in(self, email: str, password: str, client: Client | None = None):
        return (client or self.client).post(
            reverse("login"), {"username": email, "password": password}
        )

    def logged_in(self, client: Client | None = None) -> bool:
        return SESSION_KEY in (client or self.client).session


class SignUpTests(SignUpTestCase):
    def test_sign_up_sends_a_link_and_the_link_verifies_and_logs_in(self):
        response = self.sign_up("Noor@Northwind.example")
        self.assertRedirects(response, reverse("signup_sent"))
        self.assertContains(response, "Check your inbox")
        self.assertFalse(self.logged_in())
        noor = User.objects.get(email="noor@northwind.example")
        self.assertIsNone(noor.email_verified_at)
        (message,) = mail.outbox
        self.assertEqual(message.to, ["noor@northwind.example"])
        self.assertEqual(message.subject, "Confirm your email address for Tandem")
        link = emailed_path(message, VERIFY)
        self.assertIn(f'href="http://127.0.0.1:8000{link}"', str(message.alternatives[0][0]))

        # Opening the link (as a mail scanner would) changes nothing; the button does.
        self.assertContains(self.client.get(link), "Confirm that noor@northwind.example is yours")
        self.assertFalse(self.logged_in())
        noor.refresh_from_db()
        self.assertIsNone(noor.email_verified_at)
        self.assertRedirects(self.client.post(link), reverse("home"))
        noor.refresh_from_db()
        self.assertIsNotNone(noor.email_verified_at)
        self.assertEqual(int(self.client.session[SESSION_KEY]), noor.pk)
        # The link works once.
        self.client.post(reverse("logout"))
        response = self.client.post(link)
        self.assertContains(response, "This link does not work", status_code=400)
        self.assertFalse(self.logged_in())
        # Verified, the password logs in.
        self.assertRedirects(self.log_in("noor@northwind.example", VICTIM_PASSWORD), "/")

    def test_an_unverified_account_cannot_log_in_and_can_have_the_link_again(self):
        self.sign_up("noor@northwind.example")
        response = self.log_in("noor@northwind.example", VICTIM_PASSWORD)
        self.assertContains(
            response,
            "Confirm your email address first: open the link we emailed to "
            "noor@northwind.example when you signed up.",
        )
        self.assertContains(response, reverse("verification_resend"))
        self.assertFalse(self.logged_in())
        # A wrong password says nothing about verification.
        response = self.log_in("noor@northwind.example", "wrong-password")
        self.assertContains(response, "Please enter a correct email address and password.")
        self.assertNotContains(response, "Confirm your email address first")

        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("verification_resend"), {"email": "NOOR@northwind.example"}
            )
        self.assertRedirects(response, reverse("signup_sent"))
        (message,) = mail.outbox
        self.assertEqual(message.to, ["noor@northwind.example"])
        self.client.post(emailed_path(message, VERIFY))
        self.assertTrue(self.logged_in())

    def test_a_resend_for_a_verified_or_unknown_address_looks_the_same_and_sends_nothing(self):
        for email in (self.p.mentee.email, "nobody@northwind.example", "not an address"):
            with self.captureOnCommitCallbacks(execute=True):
                response = self.client.post(reverse("verification_resend"), {"email": email})
            if email == "not an address":
                self.assertContains(response, "Email address: Enter a valid email address.")
            else:
                self.assertRedirects(response, reverse("signup_sent"))
        self.assertEqual(mail.outbox, [])

    def test_the_link_expires(self):
        self.sign_up("noor@northwind.example")
        link = emailed_path(mail.outbox[0], VERIFY)
        with self.settings(EMAIL_VERIFICATION_MAX_AGE_DAYS=3):
            almost = time.time() + timedelta(days=3).total_seconds() - 60
            with mock.patch("django.core.signing.time.time", return_value=almost):
                self.assertContains(self.client.get(link), "Confirm and log in")
            later = time.time() + timedelta(days=3).total_seconds() + 60
            with mock.patch("django.core.signing.time.time", return_value=later):
                response = self.client.post(link)
        self.assertContains(response, "This link does not work", status_code=400)
        self.assertIsNone(User.objects.get(email="noor@northwind.example").email_verified_at)

    def test_a_forged_or_altered_link_does_nothing(self):
        noor = make_user("noor@northwind.example", verified=False)
        token = verification_token(noor)
        for bad in (token[:-2] + "xx", "garbage", verification_token(self.p.mentee)):
            response = self.client.post(reverse("verify_email", args=[bad]))
            self.assertEqual(response.status_code, 400)
        noor.refresh_from_db()
        self.assertIsNone(noor.email_verified_at)
        self.assertFalse(self.logged_in())

    def test_the_link_continues_to_the_page_signed_up_from_but_never_off_site(self):
        join = reverse("programs:join_link", args=[self.p.program.invite_token])
        self.sign_up("noor@northwind.example", next_path=join)
        self.sign_up("lee@northwind.example", next_path="https://evil.example/")
        noor_link, lee_link = (emailed_path(m, VERIFY) for m in mail.outbox)
        response = self.client.post(noor_link)
        self.assertRedirects(response, join, fetch_redirect_response=False)
        self.assertRedirects(Client().post(lee_link), reverse("home"))

    def test_a_session_of_an_unverified_account_is_no_session(self):
        una = make_user("una@northwind.example", verified=False)
        self.client.force_login(una)
        response = self.client.get(reverse("home"))
        self.assertRedirects(response, f"{reverse('login')}?next=/")

    def test_a_password_reset_verifies_the_address_and_spends_the_sign_up_link(self):
        self.sign_up("noor@northwind.example")
        noor = User.objects.get(email="noor@northwind.example")
        old_link = emailed_path(mail.outbox[0], VERIFY)
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("password_reset"), {"email": "noor@northwind.example"})
        reset = emailed_path(mail.outbox[0], "/accounts/reset/")
        set_password = self.client.get(reset)["Location"]
        response = self.client.post(
            set_password, {"new_password1": PASSWORD + "-new", "new_password2": PASSWORD + "-new"}
        )
        self.assertRedirects(response, reverse("password_reset_complete"))
        noor.refresh_from_db()
        self.assertIsNotNone(noor.email_verified_at)
        self.assertFalse(noor.check_password(VICTIM_PASSWORD))
        self.assertRedirects(self.log_in(noor.email, PASSWORD + "-new"), reverse("home"))
        # The sign-up's link is spent: it verified nothing, and logs nobody in.
        self.assertEqual(Client().post(old_link).status_code, 400)

    def test_a_password_reset_logs_out_the_accounts_other_sessions(self):
        mentee = self.p.mentee
        other = Client()
        other.force_login(mentee)
        self.assertEqual(other.get(reverse("home")).status_code, 200)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("password_reset"), {"email": mentee.email})
        set_password = self.client.get(emailed_path(mail.outbox[0], "/accounts/reset/"))
        self.client.post(
            set_password["Location"],
            {"new_password1": PASSWORD + "-new", "new_password2": PASSWORD + "-new"},
        )
        self.assertRedirects(other.get(reverse("home")), f"{reverse('login')}?next=/")


class SignUpRevealsNoAccountTests(SignUpTestCase):
    def test_signing_up_with_a_known_address_looks_the_same_and_changes_nothing(self):
        mentee = self.p.mentee
        before = User.objects.values().get(pk=mentee.pk)
        known = self.sign_up(mentee.email.upper(), password=ATTACKER_PASSWORD, name="Mallory")
        unknown = self.sign_up("nobody@northwind.example", password=ATTACKER_PASSWORD)
        self.assertEqual(known.redirect_chain, unknown.redirect_chain)
        self.assertEqual(known.status_code, unknown.status_code)
        self.assertEqual(known.content, unknown.content)
        self.assertEqual(User.objects.values().get(pk=mentee.pk), before)
        self.assertEqual(User.objects.filter(email=mentee.email).count(), 1)
        self.assertFalse(self.logged_in())

        # The known address's owner is told, with the ways in; the unknown one gets a link.
        to_owner, to_newcomer = mail.outbox
        self.assertEqual(to_owner.to, [mentee.email])
        self.assertEqual(to_owner.subject, "Someone tried to sign up to Tandem with your address")
        self.assertIn("Hello Mia Mentee", str(to_owner.body))
        emailed_path(to_owner, reverse("login"))
        emailed_path(to_owner, reverse("password_reset"))
        self.assertNotIn(VERIFY, str(to_owner.body))
        self.assertEqual(to_newcomer.to, ["nobody@northwind.example"])
        emailed_path(to_newcomer, VERIFY)

    def test_signing_up_again_before_verifying_keeps_the_first_password(self):
        self.sign_up("noor@northwind.example", password=VICTIM_PASSWORD)
        self.sign_up("noor@northwind.example", password=ATTACKER_PASSWORD)
        noor = User.objects.get(email="noor@northwind.example")
        self.assertTrue(noor.check_password(VICTIM_PASSWORD))
        self.assertEqual(
            [m.subject for m in mail.outbox],
            [
                "Confirm your email address for Tandem",
                "Someone tried to sign up to Tandem with your address",
            ],
        )


class PreClaimedAddressTests(SignUpTestCase):
    """An attacker signs up with the victim's address before the coordinator adds the victim."""

    victim = "victim@example.net"

    def setUp(self):
        self.attacker = Client()
        self.sign_up(self.victim, password=ATTACKER_PASSWORD, name="Mallory", client=self.attacker)
        mail.outbox.clear()

    def assert_attacker_sees_nothing(self) -> None:
        program = self.p.program
        pages = [
            reverse("programs:my_program", args=[program.pk]),
            reverse("programs:my_profile", args=[program.pk]),
        ]
        for page in pages:
            response = self.attacker.get(page)
            self.assertNotContains(response, "Non-binary", status_code=response.status_code)
            self.assertEqual(response.status_code, 302, page)  # to the login page
        # The attacker's password is worthless now, verified or not.
        response = self.log_in(self.victim, ATTACKER_PASSWORD, client=self.attacker)
        self.assertContains(response, "Please enter a correct email address and password.")
        self.assertFalse(self.logged_in(self.attacker))

    def victim_claims_by_invitation(self) -> None:
        participant = Participant.objects.get(user__email=self.victim)
        with self.captureOnCommitCallbacks(execute=True):
            services.participants_send_pending_invitations(
                program=self.p.program, invited_by=self.p.coordinator
            )
        invitation = reverse("programs:join_invitation", args=[participant.invitation_token])
        self.assertIn(invitation, str(mail.outbox[-1].body))
        victim = Client()
        response = victim.get(invitation)
        self.assertContains(response, "Choose a password to continue")
        response = victim.post(
            invitation,
            {"full_name": "Vic Tim", "password1": VICTIM_PASSWORD, "password2": VICTIM_PASSWORD},
        )
        self.assertRedirects(
            response,
            reverse("programs:join_guidelines", args=[self.p.program.pk]),
            target_status_code=200,
        )
        user = User.objects.get(email=self.victim)
        self.assertIsNotNone(user.email_verified_at)
        self.assertEqual(user.full_name, "Vic Tim")
        self.assertTrue(user.check_password(VICTIM_PASSWORD))

    def test_an_import_does_not_hand_the_victims_answers_to_the_attacker(self):
        participants_import_csv(
            program=self.p.program,
            file=io.BytesIO(f"email,role,gender\n{self.victim},mentee,Non-binary\n".encode()),
            imported_by=self.p.coordinator,
        )
        self.assert_attacker_sees_nothing()
        user = User.objects.get(email=self.victim)
        self.assertFalse(user.has_usable_password())
        self.assertEqual(user.full_name, "")  # the name Mallory chose is gone too
        # Nor does the sign-up's verification link, if the victim ever clicks it, let anyone in.
        self.victim_claims_by_invitation()
        self.assert_attacker_cannot_log_in()

    def test_an_invitation_does_not_hand_the_account_to_the_attacker(self):
        with self.captureOnCommitCallbacks(execute=True):
            services.participants_invite(
                program=self.p.program,
                emails=[self.victim],
                role="mentee",
                invited_by=self.p.coordinator,
            )
        participant = Participant.objects.get(user__email=self.victim)
        participant.answers.create(question=self.p.q_gender, value="Non-binary")
        self.assert_attacker_sees_nothing()
        self.victim_claims_by_invitation()
        self.assert_attacker_cannot_log_in()

    def test_the_sign_ups_own_link_is_void_once_the_address_is_claimed(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("verification_resend"), {"email": self.victim})
        link = emailed_path(mail.outbox[-1], VERIFY)
        services.participants_invite(
            program=self.p.program,
            emails=[self.victim],
            role="mentee",
            invited_by=self.p.coordinator,
        )
        self.assertContains(self.client.post(link), "This link does not work", status_code=400)
        self.assertIsNone(User.objects.get(email=self.victim).email_verified_at)

    def assert_attacker_cannot_log_in(self) -> None:
        response = self.log_in(self.victim, ATTACKER_PASSWORD, client=self.attacker)
        self.assertContains(response, "Please enter a correct email address and password.")
        self.assertFalse(self.logged_in(self.attacker))


class AllowedDomainTests(SignUpTestCase):
    """An address of a program's allowed domain passes only once its mailbox is proven."""

    def setUp(self):
        program = self.p.program
        program.allowed_email_domains = "northwind.example"
        program.save(update_fields=["allowed_email_domains"])
        self.join = reverse("programs:join_link", args=[program.invite_token])

    def test_signing_up_with_an_address_of_the_domain_does_not_admit(self):
        self.sign_up("ceo@northwind.example", password=ATTACKER_PASSWORD, next_path=self.join)
        self.assertFalse(self.logged_in())
        response = self.client.get(self.join, follow=True)
        self.assertContains(response, "Create an account to join")  # still a visitor
        response = self.log_in("ceo@northwind.example", ATTACKER_PASSWORD)
        self.assertContains(response, "Confirm your email address first")
        guidelines = reverse("programs:join_guidelines", args=[self.p.program.pk])
        self.assertRedirects(self.client.get(guidelines), f"{reverse('login')}?next={guidelines}")
        self.assertFalse(Participant.objects.filter(user__email="ceo@northwind.example").exists())

    def test_an_unverified_account_may_not_join_whatever_the_way_in(self):
        ceo = make_user("ceo@northwind.example", verified=False)
        with self.assertRaises(services.EnrolmentRefused) as refused:
            services.enrolment_check(program=self.p.program, user=ceo)
        self.assertEqual(refused.exception.code, "email_not_verified")
        self.assertFalse(
            Participant.objects.filter(user=ceo, status=ParticipantStatus.JOINED).exists()
        )
