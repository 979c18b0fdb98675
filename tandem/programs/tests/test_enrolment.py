"""Joining a program through the pages: the open invite link and the personal invitation."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.testing import PASSWORD, emailed_path, make_personas, make_user
from tandem.organizations.models import Membership, Role
from tandem.programs import services
from tandem.programs.models import (
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    ProgramStatus,
)

NEW_PASSWORD = "a-long-and-unusual-passphrase"


def enrolment_state() -> dict[str, list[Any]]:
    return {
        "participants": list(Participant.objects.order_by("pk").values()),
        "answers": list(Answer.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
    }


class EnrolmentTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.program = cls.p.program

    def link_url(self) -> str:
        return reverse("programs:join_link", args=[self.program.invite_token])

    def step_url(self, step: str) -> str:
        return reverse(f"programs:join_{step}", args=[self.program.pk])

    def sign_up(self, email: str, name: str = "Noor Newcomer"):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                reverse("signup"),
                {
                    "full_name": name,
                    "email": email,
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                    "next": self.link_url(),
                },
            )

    def walk_to_answers(self, role: str) -> None:
        """Open the link, accept the guidelines, choose the role (as the logged-in person)."""
        self.assertRedirects(
            self.client.get(self.link_url()), self.step_url("guidelines"), target_status_code=200
        )
        self.assertRedirects(
            self.client.post(self.step_url("guidelines"), {"accept": "on"}),
            self.step_url("role"),
            target_status_code=200,
        )
        self.assertRedirects(
            self.client.post(self.step_url("role"), {"role": role}),
            self.step_url("answers"),
            target_status_code=200,
        )

    def assert_refused(self, response, message: str, status: int = 403) -> None:
        self.assertContains(response, message, status_code=status)


class JoinThroughTheLinkTests(EnrolmentTestCase):
    def test_a_newcomer_signs_up_and_joins_as_a_mentee(self):
        response = self.client.get(self.link_url())
        self.assertContains(response, f"Join {self.program.name}")
        self.assertContains(response, f"{reverse('signup')}?next={self.link_url()}")

        response = self.sign_up("noor@northwind.example")
        self.assertRedirects(response, reverse("signup_sent"), target_status_code=200)
        noor = User.objects.get(email="noor@northwind.example")
        self.assertTrue(noor.check_password(NEW_PASSWORD))
        self.assertIsNone(noor.email_verified_at)
        self.assertNotIn("_auth_user_id", self.client.session)  # not logged in before verifying
        # The link in the email verifies the address and continues to the program.
        (message,) = mail.outbox
        self.assertEqual(message.to, ["noor@northwind.example"])
        verify = emailed_path(message, "/accounts/verify/")
        self.assertContains(self.client.get(verify), "Confirm and log in")
        response = self.client.post(verify)
        self.assertRedirects(response, self.link_url(), fetch_redirect_response=False)
        noor.refresh_from_db()
        self.assertIsNotNone(noor.email_verified_at)
        self.assertEqual(int(self.client.session["_auth_user_id"]), noor.pk)

        self.walk_to_answers("mentee")
        response = self.client.post(
            self.step_url("answers"),
            {"q_goals": ["Leadership", "Public speaking"], "q_department": "Sales"},
        )
        self.assertRedirects(response, self.step_url("done"), target_status_code=200)
        participant = Participant.objects.get(program=self.program, user=noor)
        self.assertEqual(participant.status, ParticipantStatus.JOINED)
        self.assertEqual(participant.role, ParticipantRole.MENTEE)
        self.assertIsNone(participant.capacity)
        self.assertIsNotNone(participant.guidelines_accepted_at)
        self.assertEqual(
            {a.question.slug: a.value for a in participant.answers.select_related("question")},
            {"goals": ["Leadership", "Public speaking"], "department": "Sales"},
        )
        # Taking part makes them a member of the organization.
        self.assertEqual(
            Membership.objects.get(organization=self.p.northwind, user=noor).role, Role.MEMBER
        )
        response = self.client.get(self.step_url("done"))
        self.assertContains(response, f"You have joined {self.program.name}")

    def test_an_existing_account_logs_in_and_joins_as_a_mentor_with_capacity_zero(self):
        person = make_user("lee@northwind.example", "Lee Long")
        response = self.client.post(
            reverse("login"),
            {"username": "LEE@northwind.example", "password": PASSWORD, "next": self.link_url()},
        )
        self.assertRedirects(response, self.link_url(), fetch_redirect_response=False)
        self.walk_to_answers("mentor")
        response = self.client.post(
            self.step_url("answers"), {"capacity": "0", "q_department": "Engineering"}
        )
        self.assertRedirects(response, self.step_url("done"), target_status_code=200)
        participant = Participant.objects.get(program=self.program, user=person)
        # 0 means "not taking anyone now", not "use the default".
        self.assertEqual((participant.role, participant.capacity), (ParticipantRole.MENTOR, 0))

    def test_validation_errors_name_the_field_and_write_nothing(self):
        self.client.force_login(make_user("kim@northwind.example"))
        self.walk_to_answers("mentee")
        before = enrolment_state()
        response = self.client.post(
            self.step_url("answers"), {"q_goals": ["Golf"], "q_gender": "Robot"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Department: This field is required.")
        self.assertContains(response, "Goals: Select a valid choice. Golf is not one of")
        self.assertContains(response, "Gender: Select a valid choice. Robot is not one of")
        self.assertEqual(enrolment_state(), before)

    def test_the_guidelines_must_be_accepted(self):
        self.client.force_login(make_user("kim@northwind.example"))
        self.client.get(self.link_url())
        # An unchecked box is not sent; a browser still sends the CSRF token: the form is bound.
        response = self.client.post(self.step_url("guidelines"), {"csrfmiddlewaretoken": "x"})
        self.assertContains(response, "Accept the guidelines to join the program.")
        # Skipping ahead sends them back to the guidelines.
        self.assertRedirects(
            self.client.get(self.step_url("answers")),
            self.step_url("guidelines"),
            target_status_code=200,
        )

    def test_a_role_the_program_does_not_offer_is_refused(self):
        self.client.force_login(make_user("kim@northwind.example"))
        self.client.get(self.link_url())
        self.client.post(self.step_url("guidelines"), {"accept": "on"})
        response = self.client.post(self.step_url("role"), {"role": "both"})
        self.assertContains(response, "I am joining as: Select a valid choice.")

    def test_signup_errors_name_the_field(self):
        response = self.client.post(
            reverse("signup"),
            {
                "full_name": "",
                "email": self.p.mentor.email.upper(),
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD + "x",
                "next": self.link_url(),
            },
        )
        self.assertContains(response, "Your name: This field is required.")
        # Whether the address has an account is not said (sign-up reveals no accounts).
        self.assertNotContains(response, "exists")
        self.assertNotContains(response, "Email address:")
        self.assertContains(response, "Password again: The two passwords differ.")
        self.assertEqual(User.objects.filter(email__iexact=self.p.mentor.email).count(), 1)

    def test_a_double_submitted_final_step_creates_one_participant(self):
        kim = make_user("kim@northwind.example")
        self.client.force_login(kim)
        self.walk_to_answers("mentee")
        data = {"q_goals": ["Leadership"], "q_department": "Sales"}
        first = self.client.post(self.step_url("answers"), data)
        self.assertRedirects(first, self.step_url("done"), target_status_code=200)
        second = self.client.post(self.step_url("answers"), data)
        self.assert_refused(second, f"You have already joined {self.program.name}.", 200)
        self.assertEqual(Participant.objects.filter(program=self.program, user=kim).count(), 1)
        self.assertEqual(Answer.objects.filter(participant__user=kim).count(), 2)

    def test_two_joins_racing_past_the_check_still_make_one_participant(self):
        """The second of two concurrent submits passed the check before the first committed."""
        kim = make_user("kim@northwind.example")
        answers = {self.p.q_department: "Sales"}
        services.participant_join(program=self.program, user=kim, role="mentee", answers=answers)
        before = enrolment_state()
        with (
            mock.patch.object(services, "enrolment_check", return_value=None),
            self.assertRaisesMessage(services.EnrolmentRefused, "already joined"),
        ):
            services.participant_join(
                program=self.program, user=kim, role="mentee", answers=answers
            )
        self.assertEqual(enrolment_state(), before)

    def test_a_racing_join_of_an_invitation_moves_it_once(self):
        invited = Participant.objects.create(
            program=self.program,
            user=make_user("ivy@northwind.example"),
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.INVITED,
        )
        answers = {self.p.q_department: "Sales"}
        services.participant_join(
            program=self.program, user=invited.user, role="mentee", answers=answers
        )
        before = enrolment_state()
        # The second request read the invitation while it was still pending.
        with (
            mock.patch.object(services, "enrolment_check", return_value=invited),
            self.assertRaisesMessage(services.EnrolmentRefused, "already joined"),
        ):
            services.participant_join(
                program=self.program, user=invited.user, role="mentor", answers=answers
            )
        self.assertEqual(enrolment_state(), before)


class JoinRefusedTests(EnrolmentTestCase):
    """Each refusal is a page that says why, never a 500, and writes nothing."""

    def setUp(self):
        self.before = enrolment_state()

    def assert_nothing_written(self) -> None:
        self.assertEqual(enrolment_state(), self.before)

    def test_a_closed_invite_link(self):
        self.program.invite_link_open = False
        self.program.save(update_fields=["invite_link_open"])
        message = f"The invite link for {self.program.name} is closed."
        self.assert_refused(self.client.get(self.link_url()), message)
        self.client.force_login(make_user("kim@northwind.example"))
        self.assert_refused(self.client.get(self.link_url()), message)
        self.assert_nothing_written()

    def test_a_rotated_invite_link_no_longer_exists(self):
        old = self.link_url()
        services.program_rotate_invite_link(program=self.program)
        self.assertContains(
            self.client.get(old),
            "This invite link does not exist. Ask the coordinator for a new one.",
            status_code=404,
        )
        self.assertEqual(self.client.get(self.link_url()).status_code, 200)

    def test_a_wrong_email_domain(self):
        self.program.allowed_email_domains = "northwind.example"
        self.program.save(update_fields=["allowed_email_domains"])
        response = self.client.get(self.link_url())
        self.assertContains(response, "Open to addresses at northwind.example.")
        self.client.force_login(make_user("kim@gmail.example"))
        response = self.client.get(self.link_url())
        self.assert_refused(
            response,
            f"{self.program.name} is open to addresses at northwind.example only; "
            "you are signed in as kim@gmail.example.",
        )
        # Nor can they skip to a later step.
        response = self.client.post(self.step_url("guidelines"), {"accept": "on"})
        self.assert_refused(response, "is open to addresses at northwind.example only")
        self.assert_nothing_written()

    def test_a_withdrawn_participant_rejoining(self):
        self.client.force_login(self.p.mentee)
        response = self.client.post(
            reverse("programs:withdraw", args=[self.program.pk]), {"confirm": "on"}
        )
        self.assertRedirects(response, reverse("home"))
        self.before = enrolment_state()
        response = self.client.get(self.link_url())
        self.assert_refused(
            response,
            f"You withdrew from {self.program.name}. To take part again, ask its coordinator.",
        )
        # Nor can they post the last step directly.
        response = self.client.post(self.step_url("answers"), {"q_department": "Sales"})
        self.assert_refused(response, f"You withdrew from {self.program.name}.")
        self.assertEqual(
            Participant.objects.get(pk=self.p.mentee_participant.pk).status,
            ParticipantStatus.WITHDRAWN,
        )
        self.assert_nothing_written()

    def test_the_coordinator_takes_a_withdrawn_participant_back_by_inviting_them(self):
        mentee = self.p.mentee
        services.participant_withdraw(participant=self.p.mentee_participant)
        self.client.force_login(self.p.coordinator)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("programs:invitations", args=[self.program.pk]),
                {
                    "invite": "1",
                    "emails": f"{mentee.email}\n{self.p.mentor.email}",
                    "role": "mentee",
                },
                follow=True,
            )
        self.assertContains(response, "Invited 1 person. Skipped 1 already in the program.")
        self.assertEqual([m.to for m in mail.outbox], [[mentee.email]])
        participant = Participant.objects.get(pk=self.p.mentee_participant.pk)
        self.assertEqual(participant.status, ParticipantStatus.INVITED)
        invitation = reverse("programs:join_invitation", args=[participant.invitation_token])
        self.assertIn(invitation, mail.outbox[0].body)

        self.client.force_login(mentee)
        self.assertRedirects(
            self.client.get(invitation), self.step_url("guidelines"), target_status_code=200
        )
        self.client.post(self.step_url("guidelines"), {"accept": "on"})
        self.client.post(self.step_url("role"), {"role": "mentee"})
        # Her earlier answers are there to confirm.
        response = self.client.get(self.step_url("answers"))
        self.assertContains(response, 'value="Sales" selected')
        response = self.client.post(
            self.step_url("answers"), {"q_goals": ["Leadership"], "q_department": "Sales"}
        )
        self.assertRedirects(response, self.step_url("done"), target_status_code=200)
        participant.refresh_from_db()
        self.assertEqual(participant.status, ParticipantStatus.JOINED)
        self.assertIsNone(participant.withdrawn_at)

    def test_a_second_join_by_the_same_person(self):
        self.client.force_login(self.p.mentor)
        response = self.client.get(self.link_url())
        self.assert_refused(response, f"You have already joined {self.program.name}.", 200)
        self.assertContains(response, reverse("programs:my_program", args=[self.program.pk]))
        self.assert_nothing_written()

    def test_a_program_that_is_not_enrolling(self):
        for status in (ProgramStatus.DRAFT, ProgramStatus.CLOSED):
            with self.subTest(status=status):
                self.program.status = status
                self.program.save(update_fields=["status"])
                message = f"{self.program.name} is not open for enrolment."
                self.client.logout()
                self.assert_refused(self.client.get(self.link_url()), message)
                self.client.force_login(make_user(f"kim-{status}@northwind.example"))
                self.assert_refused(self.client.get(self.link_url()), message)
        self.assert_nothing_written()

    def test_a_program_closing_while_someone_is_joining(self):
        self.client.force_login(make_user("kim@northwind.example"))
        self.walk_to_answers("mentee")
        self.program.status = ProgramStatus.CLOSED
        self.program.save(update_fields=["status"])
        response = self.client.post(
            self.step_url("answers"), {"q_goals": ["Leadership"], "q_department": "Sales"}
        )
        self.assert_refused(response, f"{self.program.name} is not open for enrolment.")
        self.assert_nothing_written()


class JoinByInvitationTests(EnrolmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.ivy = User(email="ivy@northwind.example")
        cls.ivy.set_unusable_password()
        cls.ivy.save()
        cls.invitation = Participant.objects.create(
            program=cls.program,
            user=cls.ivy,
            role=ParticipantRole.MENTOR,
            capacity=1,
            status=ParticipantStatus.INVITED,
        )

    def invitation_url(self) -> str:
        return reverse("programs:join_invitation", args=[self.invitation.invitation_token])

    def test_the_link_claims_the_invited_account_and_joins(self):
        # The invite link is closed and limited to another domain: the invitation still admits.
        self.program.invite_link_open = False
        self.program.allowed_email_domains = "elsewhere.example"
        self.program.save(update_fields=["invite_link_open", "allowed_email_domains"])
        response = self.client.get(self.invitation_url())
        self.assertContains(response, f"You were invited to {self.program.name}")
        self.assertContains(response, 'value="ivy@northwind.example"')
        users_before = User.objects.count()
        response = self.client.post(
            self.invitation_url(),
            {
                "full_name": "Ivy Invited",
                # A disabled field: whatever is posted, the invitation's address is used.
                "email": "someone.else@northwind.example",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
        self.assertRedirects(response, self.step_url("guidelines"), target_status_code=200)
        self.assertEqual(User.objects.count(), users_before)
        self.ivy.refresh_from_db()
        self.assertTrue(self.ivy.check_password(NEW_PASSWORD))
        self.assertEqual(self.ivy.full_name, "Ivy Invited")
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.ivy.pk)

        self.client.post(self.step_url("guidelines"), {"accept": "on"})
        response = self.client.get(self.step_url("role"))
        self.assertContains(response, 'value="mentor" required id="id_role_1" checked')
        self.client.post(self.step_url("role"), {"role": "mentor"})
        response = self.client.post(
            self.step_url("answers"), {"capacity": "2", "q_department": "Engineering"}
        )
        self.assertRedirects(response, self.step_url("done"), target_status_code=200)
        participant = Participant.objects.get(program=self.program, user=self.ivy)
        self.assertEqual(participant.pk, self.invitation.pk)  # the invitation row, now joined
        self.assertEqual((participant.status, participant.capacity), (ParticipantStatus.JOINED, 2))

    def test_an_account_with_a_password_logs_in_first(self):
        self.ivy.set_password(NEW_PASSWORD)
        self.ivy.email_verified_at = timezone.now()
        self.ivy.save()
        response = self.client.get(self.invitation_url())
        self.assertRedirects(
            response,
            f"{reverse('login')}?next={self.invitation_url()}",
            fetch_redirect_response=False,
        )

    def test_someone_else_signed_in_is_refused(self):
        before = enrolment_state()
        self.client.force_login(self.p.mentee)
        response = self.client.get(self.invitation_url())
        self.assert_refused(
            response,
            f"This invitation is for ivy@northwind.example; you are signed in as "
            f"{self.p.mentee.email}.",
        )
        self.assertEqual(enrolment_state(), before)
        self.assertFalse(User.objects.get(pk=self.ivy.pk).has_usable_password())

    def test_an_unknown_invitation_token_is_404(self):
        response = self.client.get(reverse("programs:join_invitation", args=["no-such-token"]))
        self.assertEqual(response.status_code, 404)
