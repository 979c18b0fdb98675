"""Coordinator and participant pages make a fixed number of queries, however many rows they show.

Each test loads a page at a small size, grows the data about fourfold and loads it again: the
count must not move. The comments name every query, so a new one has to be explained.
"""

from __future__ import annotations

from itertools import count

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.testing import make_personas
from tandem.programs.models import (
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    Question,
    QuestionKind,
)

SMALL, LARGE = 10, 40
_serial = count(1)


def add_participants(program: Program, n: int) -> list[Participant]:
    """`n` joined participants, alternating mentor and mentee, each answering every question."""
    now = timezone.now()
    users = [
        User(email=f"person{i}@northwind.example", full_name=f"Person {i:03d}")
        for i in (next(_serial) for _ in range(n))
    ]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)
    users = list(User.objects.filter(email__in=[u.email for u in users]))
    participants = Participant.objects.bulk_create(
        Participant(
            program=program,
            user=user,
            role=ParticipantRole.MENTOR if i % 2 else ParticipantRole.MENTEE,
            capacity=1 if i % 2 else None,
            status=ParticipantStatus.JOINED,
            joined_at=now,
        )
        for i, user in enumerate(users)
    )
    participants = list(Participant.objects.filter(user__in=users))
    Answer.objects.bulk_create(
        Answer(participant=participant, question=question, value=_answer(question))
        for participant in participants
        for question in program.questions.all()
    )
    return participants


def _answer(question: Question) -> object:
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return question.choices[:1]
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return question.choices[0]
    return "Something to say"


class QueryCountTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_participants_list(self):
        p = self.p
        url = reverse("programs:participants", args=[p.program.pk])
        self.client.force_login(p.coordinator)
        for size in (SMALL, LARGE):
            newest = add_participants(p.program, size - p.program.participants.count())[-1]
            # 1. the session
            # 2. the user
            # 3. the program, through the coordinator access helper
            # 4. the single-choice questions, each offered as a filter
            # 5. the count of matching participants, for the paginator
            # 6. whether the user coordinates anywhere (the "Programs I run" link)
            # 7. the page of participants, with their users joined in
            # 8. the unread notifications count (the header's Notifications link)
            with self.assertNumQueries(8):
                response = self.client.get(url)
            self.assertContains(response, newest.user.email)  # every row is on the page
            self.assertEqual(response.context["page"].count, size)

    def test_participants_list_deep_page(self):
        p = self.p
        url = reverse("programs:participants", args=[p.program.pk])
        self.client.force_login(p.coordinator)
        for size in (SMALL, LARGE):
            add_participants(p.program, size - p.program.participants.count())
            middle = p.program.participants.order_by("user__full_name", "user__email", "pk")[
                size // 2
            ]
            # The seven of page one, and 8. the cursor row's place in the order.
            # 9. the unread notifications count (the header's Notifications link)
            with self.assertNumQueries(9):
                response = self.client.get(url, {"after": middle.pk})
            self.assertEqual(response.context["page"].count, size)
            self.assertTrue(response.context["page"].has_previous)

    def test_participants_list_filtered(self):
        p = self.p
        url = reverse("programs:participants", args=[p.program.pk])
        query = {"q": "person", "role": "mentor", "status": "joined", "a_department": "Engineering"}
        self.client.force_login(p.coordinator)
        added: list[Participant] = []
        for size in (SMALL, LARGE):
            added += add_participants(p.program, size - p.program.participants.count())
            # The same seven: the filters are conditions of queries 5 and 7, not queries.
            # 8. the unread notifications count (the header's Notifications link)
            with self.assertNumQueries(8):
                response = self.client.get(url, query)
            # Everyone added answered "Engineering"; Marco, a mentor too, is not a "person".
            mentors = [a for a in added if a.role == ParticipantRole.MENTOR]
            self.assertEqual(response.context["page"].count, len(mentors))

    def test_program_overview(self):
        p = self.p
        url = reverse("programs:overview", args=[p.program.pk])
        self.client.force_login(p.coordinator)
        for size in (SMALL, LARGE):
            add_participants(p.program, size - p.program.participants.count())
            # 1. the session
            # 2. the user
            # 3. the program, through the coordinator access helper
            # 4. participants counted by role and status, in one grouped query
            # 5. the number of questions
            # 6. the number of referral pathways
            # 7. whether the user coordinates anywhere (the "Programs I run" link)
            # 8. the unread notifications count (the header's Notifications link)
            with self.assertNumQueries(8):
                response = self.client.get(url)
            self.assertEqual(response.context["counts"].total(), size)

    def test_participant_detail(self):
        p = self.p
        participant = p.mentee_participant
        url = reverse("programs:participant", args=[p.program.pk, participant.pk])
        self.client.force_login(p.coordinator)
        for size in (SMALL, LARGE):
            add_participants(p.program, size - p.program.participants.count())
            for _ in range(size - p.program.questions.count()):
                question = Question.objects.create(
                    program=p.program,
                    slug=f"q{next(_serial)}",
                    label=f"Question {next(_serial)}",
                    kind=QuestionKind.SHORT_TEXT,
                )
                Answer.objects.create(participant=participant, question=question, value="Yes")
            # 1. the session
            # 2. the user
            # 3. the program, through the coordinator access helper
            # 4. the participant, with their user
            # 5. the participant's answers
            # 6. the program's questions
            # 7. the participant's relationships (their members too, when there are any)
            # 8. whether the user coordinates anywhere (the "Programs I run" link)
            # 9. the unread notifications count (the header's Notifications link)
            with self.assertNumQueries(9):
                response = self.client.get(url)
            self.assertEqual(len(response.context["answers"]), size)
