"""Creating relationships: capacity, people who left or were matched meanwhile, groups, races."""

import threading

from django.db import connection
from django.test import TestCase, TransactionTestCase

from tandem.core.testing import make_personas, make_user
from tandem.mentorships.models import MatchSource, MemberRole, Relationship, RelationshipMember
from tandem.mentorships.services import MatchRefused, Override, relationship_create
from tandem.programs.models import Format, Participant, ParticipantRole, ParticipantStatus


def add_mentee(program, email):
    return Participant.objects.create(
        program=program,
        user=make_user(email),
        role=ParticipantRole.MENTEE,
        status=ParticipantStatus.JOINED,
    )


class RelationshipCreateTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def create(self, mentees, mentor=None, **kwargs):
        return relationship_create(
            program=self.p.program,
            mentor=mentor or self.p.mentor_participant,
            mentees=mentees,
            source=MatchSource.MANUAL,
            created_by=self.p.coordinator,
            **kwargs,
        )

    def test_a_match_creates_an_active_relationship_with_both_members(self):
        relationship = self.create([self.p.mentee_participant])
        self.assertEqual(relationship.status, "active")
        self.assertEqual(relationship.format, Format.ONE_TO_ONE)
        roles = dict(relationship.members.values_list("participant_id", "role"))
        self.assertEqual(
            roles,
            {
                self.p.mentee_participant.pk: MemberRole.MENTEE,
                self.p.mentor_participant.pk: MemberRole.MENTOR,
            },
        )
        self.assertEqual(
            (relationship.intended_end_on - relationship.started_on).days,
            self.p.program.duration_weeks * 7,
        )

    def test_both_sides_are_told_in_app_and_by_email_after_commit(self):
        with self.captureOnCommitCallbacks(execute=True):
            relationship = self.create([self.p.mentee_participant])
        from django.core import mail

        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), sorted([self.p.mentee.email, self.p.mentor.email])
        )
        self.assertTrue(all(f"/relationships/{relationship.pk}/" in m.body for m in mail.outbox))
        self.assertEqual(self.p.mentee.notifications.filter(kind="match_made").count(), 1)
        self.assertEqual(self.p.mentor.notifications.filter(kind="match_made").count(), 1)

    def test_a_mentor_at_capacity_is_refused(self):
        self.create([self.p.mentee_participant])
        second = add_mentee(self.p.program, "second@northwind.example")
        self.create([second])  # capacity 2: fits
        third = add_mentee(self.p.program, "third@northwind.example")
        with self.assertRaisesMessage(MatchRefused, "has no room: 2 of 2 places taken"):
            self.create([third])
        self.assertFalse(RelationshipMember.objects.filter(participant=third).exists())

    def test_capacity_override_needs_a_reason_and_is_recorded(self):
        mentor = self.p.mentor_participant
        mentor.capacity = 0
        mentor.save()
        with self.assertRaisesMessage(MatchRefused, "Say why"):
            self.create([self.p.mentee_participant], override=Override(capacity=True))
        relationship = self.create(
            [self.p.mentee_participant],
            override=Override(capacity=True, reason="Agreed with Marco in person"),
        )
        self.assertEqual(relationship.override_reason, "Agreed with Marco in person")

    def test_a_mentee_matched_meanwhile_is_refused(self):
        self.create([self.p.mentee_participant])
        with self.assertRaisesMessage(MatchRefused, "was matched meanwhile"):
            self.create([self.p.mentee_participant])
        self.assertEqual(Relationship.objects.count(), 1)

    def test_a_mentor_who_left_the_program_is_refused(self):
        mentor = self.p.mentor_participant
        mentor.status = ParticipantStatus.WITHDRAWN
        mentor.save()
        with self.assertRaisesMessage(MatchRefused, "has withdrawn and is not in the program"):
            self.create([self.p.mentee_participant])
        self.assertFalse(Relationship.objects.exists())

    def test_a_group_program_puts_mentees_into_the_mentors_one_group(self):
        program = self.p.program
        program.format = Format.GROUP
        program.save()
        first = self.create([self.p.mentee_participant])
        second = self.create([add_mentee(program, "second@northwind.example")])
        self.assertEqual(first.pk, second.pk)
        self.assertEqual(first.members.filter(role=MemberRole.MENTEE).count(), 2)
        self.assertEqual(first.members.filter(role=MemberRole.MENTOR).count(), 1)


class RelationshipRaceTests(TransactionTestCase):
    """Ten mentees racing for a mentor's one remaining place: exactly one wins."""

    def test_ten_concurrent_matches_for_one_place_create_exactly_one(self):
        p = make_personas()
        mentor = p.mentor_participant
        mentor.capacity = 1
        mentor.save()
        mentees = [add_mentee(p.program, f"racer{i}@northwind.example") for i in range(10)]
        barrier = threading.Barrier(len(mentees))
        outcomes: list[str] = []

        def match(mentee):
            try:
                barrier.wait()
                relationship_create(
                    program=p.program,
                    mentor=mentor,
                    mentees=[mentee],
                    source=MatchSource.SELF,
                    created_by=None,
                )
                outcomes.append("created")
            except MatchRefused as refusal:
                outcomes.append(refusal.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=match, args=(m,)) for m in mentees]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(outcomes.count("created"), 1, outcomes)
        self.assertEqual(outcomes.count("over_capacity"), 9, outcomes)
        self.assertEqual(RelationshipMember.objects.filter(role=MemberRole.MENTEE).count(), 1)
