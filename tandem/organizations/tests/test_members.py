"""Members and coordinators of an organization: invitations by email, roles, the last admin."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.testing import PASSWORD, emailed_path, make_personas
from tandem.organizations import services
from tandem.organizations.models import CoordinatorInvitation, Membership, Role

NEW_PASSWORD = "a-long-and-unusual-passphrase"


class CoordinatorInvitationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.members_url = reverse("organizations:members", args=[self.p.northwind.pk])

    def invite(self, email: str, role: str = Role.COORDINATOR):
        self.client.force_login(self.p.admin)
        return self.client.post(self.members_url, {"email": email, "role": role}, follow=True)

    def accept_path(self, message: mail.EmailMessage) -> str:
        found = re.search(r"https?://[^/\s]+(/org-invitations/[^/\s]+/)", str(message.body))
        self.assertIsNotNone(found, message.body)
        return found.group(1)

    def test_the_admin_invites_by_email_and_the_email_leaves_after_commit(self):
        with self.captureOnCommitCallbacks() as callbacks:
            response = self.invite("New.Coordinator@Northwind.example")
            # The request's transaction has not committed yet: nothing is sent.
            self.assertEqual(mail.outbox, [])
        self.assertContains(response, "Invitation sent to")
        self.assertContains(response, "new.coordinator@northwind.example as coordinator")
        invitation = CoordinatorInvitation.objects.get()
        self.assertEqual(invitation.email, "new.coordinator@northwind.example")
        self.assertEqual(invitation.invited_by, self.p.admin)
        self.assertEqual(len(callbacks), 1)
        callbacks[0]()
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["new.coordinator@northwind.example"])
        self.assertIn("Alice Admin invites you to Northwind", message.body)
        self.assertEqual(
            self.accept_path(message),
            reverse("organizations:accept_invitation", args=[invitation.token]),
        )

    def test_no_email_for_an_invitation_that_is_rolled_back(self):
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    services.coordinator_invite(
                        organization=self.p.northwind,
                        email="ghost@northwind.example",
                        invited_by=self.p.admin,
                    )
                    raise RuntimeError("something later in the request failed")
            except RuntimeError:
                pass
        self.assertEqual(mail.outbox, [])
        self.assertFalse(CoordinatorInvitation.objects.exists())

    def test_a_newcomer_signs_up_from_the_link_and_accepts(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.invite("newcoord@northwind.example")
        accept = self.accept_path(mail.outbox[0])
        self.client.logout()
        response = self.client.get(accept)
        self.assertContains(response, "This invitation is for newcoord@northwind.example.")
        signup = reverse("organizations:invitation_signup", args=[accept.split("/")[-2]])
        self.assertContains(response, f'href="{signup}"')
        response = self.client.get(signup)
        self.assertContains(response, "You were invited to Northwind.")
        self.assertContains(response, 'value="newcoord@northwind.example"')
        # The link was emailed to the address: it verifies that address, and only that one.
        response = self.client.post(
            signup,
            {
                "full_name": "Nadia New",
                "email": "someone.else@northwind.example",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
        self.assertRedirects(response, accept, target_status_code=200)
        self.assertFalse(User.objects.filter(email="someone.else@northwind.example").exists())
        nadia = User.objects.get(email="newcoord@northwind.example")
        self.assertIsNotNone(nadia.email_verified_at)
        self.assertEqual(int(self.client.session["_auth_user_id"]), nadia.pk)
        response = self.client.post(accept, follow=True)
        self.assertContains(response, "You now coordinate in Northwind.")

    def test_an_unverified_sign_up_of_the_address_is_claimed_by_the_invitation(self):
        attacker = Client()
        with self.captureOnCommitCallbacks(execute=True):
            attacker.post(
                reverse("signup"),
                {
                    "full_name": "Mallory",
                    "email": "newcoord@northwind.example",
                    "password1": "the-attackers-own-passphrase",
                    "password2": "the-attackers-own-passphrase",
                },
            )
            self.invite("newcoord@northwind.example")
        accept = self.accept_path(mail.outbox[-1])
        claimed = User.objects.get(email="newcoord@northwind.example")
        self.assertFalse(claimed.has_usable_password())  # the attacker's password is void
        self.client.logout()
        signup = reverse("organizations:invitation_signup", args=[accept.split("/")[-2]])
        self.client.post(
            signup, {"full_name": "Nadia", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )
        claimed.refresh_from_db()
        self.assertTrue(claimed.check_password(NEW_PASSWORD))
        self.assertEqual(claimed.full_name, "Nadia")
        self.assertIsNotNone(claimed.email_verified_at)
        response = attacker.post(
            reverse("login"),
            {"username": claimed.email, "password": "the-attackers-own-passphrase"},
        )
        self.assertContains(response, "Please enter a correct email address and password.")

    def test_an_expired_or_used_invitation_signs_nobody_up(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.invite("newcoord@northwind.example")
        token = CoordinatorInvitation.objects.get().token
        CoordinatorInvitation.objects.update(created_at=timezone.now() - timedelta(days=400))
        self.client.logout()
        response = self.client.post(
            reverse("organizations:invitation_signup", args=[token]),
            {"full_name": "Nadia", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        self.assertContains(response, "has been used or has expired", status_code=403)
        self.assertFalse(User.objects.filter(email="newcoord@northwind.example").exists())

    def test_a_verified_owner_of_the_address_logs_in_instead(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.invite(self.p.mentor.email)
        token = CoordinatorInvitation.objects.get().token
        self.client.logout()
        response = self.client.post(
            reverse("organizations:invitation_signup", args=[token]),
            {"full_name": "Not Marco", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        accept = reverse("organizations:accept_invitation", args=[token])
        self.assertRedirects(response, f"{reverse('login')}?next={accept}")
        mentor = User.objects.get(pk=self.p.mentor.pk)
        self.assertTrue(mentor.check_password(PASSWORD))
        self.assertEqual(mentor.full_name, self.p.mentor.full_name)

    def test_a_newcomer_signs_up_on_the_general_page_and_accepts(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.invite("newcoord@northwind.example")
        accept = self.accept_path(mail.outbox[0])
        self.client.logout()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("signup"),
                {
                    "full_name": "Nadia New",
                    "email": "newcoord@northwind.example",
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                    "next": accept,
                },
            )
        # The address is verified by the sign-up's own link, which leads back to the invitation.
        verify = emailed_path(mail.outbox[-1], "/accounts/verify/")
        self.assertRedirects(self.client.post(verify), accept, fetch_redirect_response=False)
        self.assertContains(self.client.get(accept), "Accept the invitation")
        response = self.client.post(accept, follow=True)
        self.assertRedirects(response, reverse("programs:list"))
        self.assertContains(response, "You now coordinate in Northwind.")
        nadia = User.objects.get(email="newcoord@northwind.example")
        self.assertEqual(
            Membership.objects.get(organization=self.p.northwind, user=nadia).role,
            Role.COORDINATOR,
        )
        self.assertIsNotNone(CoordinatorInvitation.objects.get().accepted_at)
        # A coordinator may now create programs in the organization.
        self.assertEqual(self.client.get(reverse("programs:create")).status_code, 200)
        # The invitation is spent.
        response = self.client.post(accept, follow=True)
        self.assertContains(response, "This invitation has been used already.", status_code=403)

    def test_a_member_accepting_is_promoted(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.invite(self.p.mentor.email)
        self.client.force_login(self.p.mentor)
        self.client.post(self.accept_path(mail.outbox[0]))
        membership = Membership.objects.get(organization=self.p.northwind, user=self.p.mentor)
        self.assertEqual(membership.role, Role.COORDINATOR)

    def test_the_wrong_account_is_refused(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.invite("newcoord@northwind.example")
        self.client.force_login(self.p.mentee)
        response = self.client.post(self.accept_path(mail.outbox[0]), follow=True)
        self.assertContains(
            response,
            "This invitation is for newcoord@northwind.example; "
            "you are signed in as mia@northwind.example.",
            status_code=403,
        )
        self.assertNotContains(response, "Accept the invitation", status_code=403)
        membership = Membership.objects.get(organization=self.p.northwind, user=self.p.mentee)
        self.assertEqual(membership.role, Role.MEMBER)
        self.assertIsNone(CoordinatorInvitation.objects.get().accepted_at)
        # Nor does an outsider join Northwind with it.
        self.client.force_login(self.p.outsider)
        self.client.post(self.accept_path(mail.outbox[0]))
        self.assertFalse(
            Membership.objects.filter(organization=self.p.northwind, user=self.p.outsider).exists()
        )

    def test_invitation_errors_name_the_field_and_send_nothing(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.invite(self.p.coordinator.email.upper())
        self.assertContains(
            response, "Email address: cora@northwind.example already coordinates in Northwind."
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.invite("newcoord@northwind.example")
            response = self.invite("NewCoord@northwind.example")
        self.assertContains(
            response, "Email address: newcoord@northwind.example has a pending invitation already."
        )
        with self.captureOnCommitCallbacks(execute=True):
            response = self.invite("not an address")
        self.assertContains(response, "Email address: Enter a valid email address.")
        self.assertEqual(CoordinatorInvitation.objects.count(), 1)
        self.assertEqual(len(mail.outbox), 1)


class MemberRoleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def set_role(self, user: User, role: str):
        membership = Membership.objects.get(organization=self.p.northwind, user=user)
        url = reverse("organizations:member_role", args=[self.p.northwind.pk, membership.pk])
        return self.client.post(url, {"role": role}, follow=True)

    def role_of(self, user: User) -> str:
        return Membership.objects.get(organization=self.p.northwind, user=user).role

    def test_the_last_admin_cannot_be_demoted(self):
        self.client.force_login(self.p.admin)
        response = self.set_role(self.p.admin, Role.MEMBER)
        self.assertContains(response, "An organization needs at least one admin.")
        self.assertEqual(self.role_of(self.p.admin), Role.ADMIN)
        with self.assertRaisesMessage(ValidationError, "at least one admin"):
            services.membership_set_role(
                membership=Membership.objects.get(user=self.p.admin),
                role=Role.COORDINATOR,
                actor=self.p.admin,
            )

    def test_with_a_second_admin_one_may_step_down(self):
        self.client.force_login(self.p.admin)
        self.set_role(self.p.coordinator, Role.ADMIN)
        self.assertEqual(self.role_of(self.p.coordinator), Role.ADMIN)
        response = self.set_role(self.p.admin, Role.MEMBER)
        # The members page is no longer hers to see: she lands on her home page.
        self.assertRedirects(response, reverse("home"))
        self.assertContains(response, "Alice Admin&#x27;s role is changed.")
        self.assertEqual(self.role_of(self.p.admin), Role.MEMBER)
        # Now Cora is the last admin.
        self.client.force_login(self.p.coordinator)
        response = self.set_role(self.p.coordinator, Role.MEMBER)
        self.assertContains(response, "An organization needs at least one admin.")

    def test_an_unknown_role_is_refused(self):
        self.client.force_login(self.p.admin)
        response = self.set_role(self.p.mentor, "owner")
        self.assertContains(response, "Choose a role from the list.")
        self.assertEqual(self.role_of(self.p.mentor), Role.MEMBER)

    def test_a_coordinator_demoted_to_member_no_longer_runs_their_program(self):
        overview = reverse("programs:overview", args=[self.p.program.pk])
        self.client.force_login(self.p.coordinator)
        self.assertEqual(self.client.get(overview).status_code, 200)
        self.client.force_login(self.p.admin)
        self.set_role(self.p.coordinator, Role.MEMBER)
        self.client.force_login(self.p.coordinator)
        self.assertEqual(self.client.get(overview).status_code, 404)
        self.assertNotContains(self.client.get(reverse("home")), self.p.program.name)
        # Made coordinator again, they find their program where they left it.
        self.client.force_login(self.p.admin)
        self.set_role(self.p.coordinator, Role.COORDINATOR)
        self.client.force_login(self.p.coordinator)
        self.assertEqual(self.client.get(overview).status_code, 200)

    def test_a_coordinator_who_left_the_organization_no_longer_runs_their_program(self):
        Membership.objects.filter(user=self.p.coordinator).delete()
        self.client.force_login(self.p.coordinator)
        overview = reverse("programs:overview", args=[self.p.program.pk])
        self.assertEqual(self.client.get(overview).status_code, 404)

    def test_the_members_page_lists_members_and_pending_invitations(self):
        services.coordinator_invite(
            organization=self.p.northwind,
            email="newcoord@northwind.example",
            invited_by=self.p.admin,
        )
        self.client.force_login(self.p.admin)
        response = self.client.get(reverse("organizations:members", args=[self.p.northwind.pk]))
        for user in (self.p.admin, self.p.coordinator, self.p.mentor, self.p.mentee):
            self.assertContains(response, user.email)
        self.assertContains(response, "newcoord@northwind.example as coordinator")
        self.assertNotContains(response, self.p.outsider.email)
