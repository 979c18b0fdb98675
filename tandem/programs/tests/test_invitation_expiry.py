"""Personal invitation links stop working after INVITATION_MAX_AGE_DAYS."""

import datetime

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.testing import make_personas
from tandem.organizations.models import CoordinatorInvitation, Membership
from tandem.programs.models import Participant, ParticipantRole, ParticipantStatus


@override_settings(INVITATION_MAX_AGE_DAYS=30)
class InvitationExpiryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        ivy = User(email="ivy@northwind.example")
        ivy.set_unusable_password()
        ivy.save()
        cls.invited = Participant.objects.create(
            program=cls.p.program,
            user=ivy,
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.INVITED,
            invited_at=timezone.now() - datetime.timedelta(days=31),
        )

    def test_an_expired_program_invitation_says_so_and_claims_nothing(self):
        url = reverse("programs:join_invitation", args=[self.invited.invitation_token])
        response = self.client.post(
            url,
            {
                "full_name": "Ivy",
                "password1": "a-long-pass-phrase-9",
                "password2": "a-long-pass-phrase-9",
            },
        )
        self.assertContains(response, "This invitation has expired", status_code=403)
        self.assertFalse(User.objects.get(email="ivy@northwind.example").has_usable_password())

    def test_a_resent_invitation_works_again(self):
        Participant.objects.filter(pk=self.invited.pk).update(invited_at=timezone.now())
        url = reverse("programs:join_invitation", args=[self.invited.invitation_token])
        response = self.client.get(url)
        self.assertContains(response, "Choose a password to continue")

    def test_an_expired_coordinator_invitation_cannot_be_accepted(self):
        invitation = CoordinatorInvitation.objects.create(
            organization=self.p.northwind, email=self.p.mentor.email, invited_by=self.p.admin
        )
        CoordinatorInvitation.objects.filter(pk=invitation.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=31)
        )
        self.client.force_login(self.p.mentor)
        url = reverse("organizations:accept_invitation", args=[invitation.token])
        response = self.client.post(url)
        self.assertContains(response, "This invitation has expired", status_code=403)
        membership = Membership.objects.get(organization=self.p.northwind, user=self.p.mentor)
        self.assertEqual(membership.role, "member")

    def test_the_done_page_does_not_welcome_someone_who_has_not_joined(self):
        Participant.objects.filter(pk=self.invited.pk).update(invited_at=timezone.now())
        ivy = User.objects.get(email="ivy@northwind.example")
        # She came in by her invitation link, which verified her address.
        User.objects.filter(pk=ivy.pk).update(email_verified_at=timezone.now())
        self.client.force_login(ivy)
        response = self.client.get(reverse("programs:join_done", args=[self.p.program.pk]))
        self.assertRedirects(response, reverse("programs:my_program", args=[self.p.program.pk]))
