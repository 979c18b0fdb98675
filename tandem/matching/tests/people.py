"""Helpers shared by the matching product tests: people with answers, in one call each."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tandem.core.testing import make_user
from tandem.programs.models import (
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
)


def add_person(
    program: Program,
    email: str,
    role: str = ParticipantRole.MENTEE,
    *,
    capacity: int | None = None,
    name: str = "",
    **answers: Any,
) -> Participant:
    """A joined participant of `program` with the given answers (question slug = value)."""
    now = timezone.now()
    participant = Participant.objects.create(
        program=program,
        user=make_user(email, name or email.split("@")[0].title()),
        role=role,
        status=ParticipantStatus.JOINED,
        capacity=capacity,
        joined_at=now,
        guidelines_accepted_at=now,
    )
    questions = {q.slug: q for q in program.questions.all()}
    Answer.objects.bulk_create(
        Answer(participant=participant, question=questions[slug], value=value)
        for slug, value in answers.items()
    )
    return participant


def add_mentor(program: Program, email: str, capacity: int = 1, **answers: Any) -> Participant:
    return add_person(program, email, ParticipantRole.MENTOR, capacity=capacity, **answers)
