"""The home page: a person's programs, matches (with their unread messages) and news, in a fixed
number of queries."""

import re

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.testing import make_matching_fixture, make_personas, make_user
from tandem.mentorships.models import (
    MatchSource,
    MemberRole,
    Message,
    MessageReadState,
    Relationship,
    RelationshipMember,
)
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
        mine, theirs = RelationshipMember.objects.bulk_create(
            [
                RelationshipMember(
                    relationship=relationship, participant=me, role=MemberRole.MENTEE
                ),
                RelationshipMember(
                    relationship=relationship, participant=mentor, role=MemberRole.MENTOR
                ),
            ]
        )
        # Messages both ways; the person read the first of the mentor's, so two are unread.
        Message.objects.bulk_create(
            Message(relationship=relationship, author=author, body=f"Note {n}")
            for n, author in enumerate([theirs, mine, theirs, theirs])
        )
        first = Message.objects.filter(relationship=relationship).order_by("pk").first()
        MessageReadState.objects.create(member=mine, last_read_message=first)
        # Behind the next steps: one imported person not yet invited, one mentee not matched.
        Participant.objects.create(
            program=program,
            user=make_user(f"waiting{i}@northwind.example"),
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.INVITED,
        )
        Participant.objects.create(
            program=program,
            user=make_user(f"alone{i}@northwind.example"),
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.JOINED,
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
            # 5. their relationships, with the program joined in, and how many messages in
            #    each they have not read (a subquery)
            # 6. the members of those relationships, with participant and user joined in
            # 7. their participations, with program and organization joined in
            # 8. the programs they run, with the joined count and the counts behind each
            #    next step (waiting for an invitation, not matched, questions) as subqueries
            # 9. the organizations they administer, with their program counts
            # 10. the unread notifications count (the header's Notifications link)
            with self.assertNumQueries(10):
                response = self.client.get(reverse("home"))
            # Her Graduate program and Globex Circle (as Globex admin) besides the circles.
            self.assertEqual(len(response.context["coordinated"]), size + 2)
            last = next(
                item
                for item in response.context["coordinated"]
                if item.program.name == f"Circle {size - 1:03d}"
            )
            self.assertEqual(
                [step.text for step in last.next_steps],
                [
                    "No sign-up questions yet: add them",
                    "1 person waiting for an invitation",
                    "1 mentee not matched yet: start a smart match",
                ],
            )
            self.assertEqual(len(response.context["participations"]), size)
            self.assertEqual(len(response.context["relationships"]), size)
            self.assertContains(response, f"Mentor {size - 1:03d}")
            self.assertContains(response, f"You have a new match in Circle {size - 1:03d}.")
            self.assertEqual(
                {match.relationship.unread_messages for match in response.context["relationships"]},
                {2},
            )
            self.assertContains(response, "2 unread messages", count=size)

    def test_a_match_shows_the_partner_and_links_to_the_relationship(self):
        self.add_program_with_match(self.p.mentee, 1)
        self.client.force_login(self.p.mentee)
        response = self.client.get(reverse("home"))
        relationship = Relationship.objects.get(program__name="Circle 001")
        self.assertContains(response, reverse("mentorships:relationship", args=[relationship.pk]))
        self.assertContains(response, "Mentor 001")


def page_text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


NOT_IN_ANY = "You are not in any program yet"


class HomeForPeopleWhoRunProgramsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def home_text(self, user) -> str:
        self.client.force_login(user)
        return page_text(self.client.get(reverse("home")))

    def test_a_coordinator_sees_the_programs_they_run_with_next_steps(self):
        p = self.p
        program = p.program
        for i in range(12):
            Participant.objects.create(
                program=program,
                user=make_user(f"imported{i}@northwind.example"),
                role=ParticipantRole.MENTEE,
                status=ParticipantStatus.INVITED,
            )
        text = self.home_text(p.coordinator)
        self.assertNotIn(NOT_IN_ANY, text)
        self.assertIn("Programs I run Graduate Mentoring 2027 Northwind · Open for enrolment", text)
        self.assertIn("12 people waiting for an invitation", text)
        # Mia is joined and not matched.
        self.assertIn("1 mentee not matched yet: start a smart match", text)
        self.assertNotIn("Sales Mentoring", text)  # Sam's program, not Cora's

    def test_a_program_without_questions_says_so_and_a_manual_one_offers_matching_by_hand(self):
        p = self.p
        p.other_program.smart_matching = False
        p.other_program.save(update_fields=["smart_matching"])
        Participant.objects.create(
            program=p.other_program,
            user=make_user("newbie@northwind.example"),
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.JOINED,
        )
        text = self.home_text(p.other_coordinator)
        self.assertIn("No sign-up questions yet: add them", text)
        self.assertIn("1 mentee not matched yet: match them by hand", text)
        self.assertNotIn(NOT_IN_ANY, text)

    def test_a_matched_mentee_is_not_counted_as_waiting(self):
        p = self.p
        make_matching_fixture(p)  # Mia and Marco in a relationship
        text = self.home_text(p.coordinator)
        self.assertNotIn("not matched yet", text)
        self.assertIn("Nothing waiting for you.", text)

    def test_an_org_admin_sees_the_organizations_programs_and_members_page(self):
        text = self.home_text(self.p.admin)
        self.assertNotIn(NOT_IN_ANY, text)
        self.assertIn("Graduate Mentoring 2027", text)
        self.assertIn("Sales Mentoring", text)
        self.assertIn("Northwind: members and coordinators", text)
        self.assertNotIn("Globex", text)

    def test_an_admin_of_another_organization_sees_theirs_and_nothing_of_northwind(self):
        p = self.p
        text = self.home_text(p.outsider)
        self.assertNotIn(NOT_IN_ANY, text)
        self.assertIn("Globex Circle", text)
        self.assertIn("Globex: members and coordinators", text)
        self.assertNotIn("Northwind", text)
        # An organization with no program yet: the next step is to create one.
        p.globex_program.delete()
        text = self.home_text(p.outsider)
        self.assertIn("Globex: members and coordinators · No programs yet: create one", text)

    def test_a_coordinator_who_also_takes_part_keeps_the_participant_view(self):
        p = self.p
        Participant.objects.create(
            program=p.other_program,
            user=p.coordinator,
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.JOINED,
        )
        text = self.home_text(p.coordinator)
        self.assertIn("My programs Sales Mentoring Northwind Mentee · Joined", text)
        self.assertIn("Programs I run Graduate Mentoring 2027", text)

    def test_a_person_in_no_program_is_told_how_to_join(self):
        text = self.home_text(make_user("nobody@northwind.example"))
        self.assertIn(NOT_IN_ANY, text)

    def test_a_mentors_match_card_names_the_mentee_without_a_stray_comma(self):
        p = self.p
        make_matching_fixture(p)
        self.client.force_login(p.mentor)
        content = self.client.get(reverse("home")).content.decode()
        card = re.search(r"My matches</h2>(.*?)</ul>", content, re.S)
        assert card is not None
        self.assertEqual(re.findall(r"<strong>(.*?)</strong>", card.group(1)), ["Mia Mentee"])
