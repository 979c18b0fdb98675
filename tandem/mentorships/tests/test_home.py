"""The home page: a person's programs, matches and news, in a fixed number of queries."""

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas, make_user
from tandem.mentorships.models import MatchSource, MemberRole, Relationship, RelationshipMember
from tandem.organizations.models import Membership, Role
from tandem.programs.models import (
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    ProgramStatus,
)

SMALL, LARGE = 10, 40


class HomeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def add_program_with_match(self, person, i):
        program = Program.objects.create(
            organization=self.p.northwind,
            name=f"Circle {i:03d}",
            guidelines="Be kind.",
            status=ProgramStatus.OPEN,
        )
        program.coordinators.add(person)
        me = Participant.objects.create(
            program=program,
            user=person,
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.JOINED,
        )
        mentor = Participant.objects.create(
            program=program,
            user=make_user(f"mentor{i}@northwind.example", f"Mentor {i:03d}"),
            role=ParticipantRole.MENTOR,
            status=ParticipantStatus.JOINED,
            capacity=1,
        )
        today = timezone.localdate()
        relationship = Relationship.objects.create(
            program=program,
            format=program.format,
            source=MatchSource.MANUAL,
            started_on=today,
            intended_end_on=today,
        )
        RelationshipMember.objects.bulk_create(
            [
                RelationshipMember(
                    relationship=relationship, participant=me, role=MemberRole.MENTEE
                ),
                RelationshipMember(
                    relationship=relationship, participant=mentor, role=MemberRole.MENTOR
                ),
            ]
        )
        Notification.objects.create(
            user=person,
            kind="match_made",
            text=f"You have a new match in Circle {i:03d}.",
            url=f"/relationships/{relationship.pk}/",
        )

    def test_query_count_does_not_grow_with_programs_and_matches(self):
        p = self.p
        person = p.coordinator
        # Cora also administers Globex, so that every part of the page has rows.
        Membership.objects.create(organization=p.globex, user=person, role=Role.ADMIN)
        self.client.force_login(person)
        made = 0
        for size in (SMALL, LARGE):
            for i in range(made, size):
                self.add_program_with_match(person, i)
            made = size
            # 1. the session
            # 2. the user
            # 3. whether the user coordinates anywhere (the "Programs I run" link)
            # 4. their unread notifications (at most 10)
            # 5. their relationships, with the program joined in
            # 6. the members of those relationships, with participant and user joined in
            # 7. their participations, with program and organization joined in
            # 8. the programs they run, with the joined count annotated
            # 9. the organizations they administer
            with self.assertNumQueries(9):
                response = self.client.get(reverse("home"))
            self.assertEqual(len(response.context["participations"]), size)
            self.assertEqual(len(response.context["relationships"]), size)
            self.assertContains(response, f"Mentor {size - 1:03d}")
            self.assertContains(response, f"You have a new match in Circle {size - 1:03d}.")

    def test_a_match_shows_the_partner_and_links_to_the_relationship(self):
        self.add_program_with_match(self.p.mentee, 1)
        self.client.force_login(self.p.mentee)
        response = self.client.get(reverse("home"))
        relationship = Relationship.objects.get(program__name="Circle 001")
        self.assertContains(response, reverse("mentorships:relationship", args=[relationship.pk]))
        self.assertContains(response, "Mentor 001")
