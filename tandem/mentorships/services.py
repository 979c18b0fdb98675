"""Writes for relationships. Creating one is race-safe on PostgreSQL and SQLite.

The participants involved are locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE
transactions serialize writers) before capacity and existing matches are checked, so two
coordinators, or ten mentees, racing for the same mentor cannot overfill it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification, User
from tandem.accounts.preferences import wanting_email
from tandem.core.emails import email_after_commit
from tandem.mentorships.hooks import relationship_started
from tandem.mentorships.models import (
    OPEN_STATUSES,
    MemberRole,
    Relationship,
    RelationshipMember,
)
from tandem.mentorships.selectors import mentor_open_load
from tandem.mentorships.sessions.nudges import session_nudge_schedule
from tandem.programs.models import Format, Participant, ParticipantStatus, Program


class MatchRefused(Exception):
    """Why a relationship cannot be created; the message is shown to the coordinator as is."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Override:
    """A coordinator's explicit permission to go past a capacity or a required rule."""

    capacity: bool = False
    required_rules: bool = False
    reason: str = ""


def lock_participants(participant_ids: Sequence[int]) -> dict[int, Participant]:
    # Always lock in primary-key order, so that two transactions never wait on each other.
    locked = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=sorted(set(participant_ids)))
        .order_by("pk")
    )
    return {p.pk: p for p in locked}


def open_membership(participant: Participant, role: str) -> RelationshipMember | None:
    return (
        RelationshipMember.objects.filter(
            participant=participant,
            role=role,
            relationship__status__in=OPEN_STATUSES,
        )
        .select_related("relationship")
        .first()
    )


def intended_end(program: Program, start: datetime.date) -> datetime.date:
    return start + datetime.timedelta(weeks=program.duration_weeks)


@transaction.atomic
def relationship_create(
    *,
    program: Program,
    mentor: Participant | None,
    mentees: Sequence[Participant],
    source: str,
    created_by: User | None,
    score: float | None = None,
    reasons: list[dict[str, object]] | None = None,
    override: Override | None = None,
    notify: bool = True,
) -> Relationship:
    """Match a mentor with mentees (or peers, with mentor=None) in a new relationship.

    `notify=False` leaves telling people to the caller (self-matching sends its own notice).

    In a group program the mentees join the mentor's open group if there is one. Refuses, with
    a message, anyone who left the program or is already matched, and a mentor past capacity
    (unless overridden with a reason).
    """
    override = override or Override()
    ids = [m.pk for m in mentees] + ([mentor.pk] if mentor else [])
    locked = lock_participants(ids)
    people = [locked[pk] for pk in ids if pk in locked]
    if len(people) != len(set(ids)) or any(p.program_id != program.pk for p in people):
        raise MatchRefused("Someone in this match is not in the program.", code="not_in_program")
    for person in people:
        if person.status != ParticipantStatus.JOINED:
            raise MatchRefused(
                f"{person.user.display_name} has {person.get_status_display().lower()} "
                f"and is not in the program now.",
                code="left_program",
            )
    for mentee in (locked[m.pk] for m in mentees):
        role = MemberRole.PEER if mentor is None else MemberRole.MENTEE
        if open_membership(mentee, role) is not None:
            raise MatchRefused(
                f"{mentee.user.display_name} was matched meanwhile.", code="already_matched"
            )
    relationship: Relationship | None = None
    if mentor is not None:
        mentor = locked[mentor.pk]
        if not mentor.is_mentor:
            raise MatchRefused(f"{mentor.user.display_name} is not a mentor.", code="not_mentor")
        load = mentor_open_load(mentor)
        if load + len(mentees) > (mentor.capacity or 0) and not override.capacity:
            raise MatchRefused(
                f"{mentor.user.display_name} has no room: {load} of {mentor.capacity or 0} "
                "places taken.",
                code="over_capacity",
            )
        if program.format == Format.GROUP:
            existing = open_membership(mentor, MemberRole.MENTOR)
            if existing is not None:
                relationship = existing.relationship
    if (override.capacity or override.required_rules) and not override.reason.strip():
        raise MatchRefused("Say why you are overriding the rules.", code="override_reason")
    is_new = relationship is None
    if relationship is None:
        today = timezone.localdate()
        relationship = Relationship.objects.create(
            program=program,
            format=program.format,
            source=source,
            started_on=today,
            intended_end_on=intended_end(program, today),
            score=score,
            reasons=reasons or [],
            created_by=created_by,
            override_reason=override.reason.strip(),
        )
    members = [
        RelationshipMember(
            relationship=relationship,
            participant=locked[m.pk],
            role=MemberRole.PEER if mentor is None else MemberRole.MENTEE,
        )
        for m in mentees
    ]
    if mentor is not None and is_new:
        members.append(
            RelationshipMember(
                relationship=relationship, participant=mentor, role=MemberRole.MENTOR
            )
        )
    RelationshipMember.objects.bulk_create(members)
    if is_new:
        session_nudge_schedule(relationship, timezone.now())  # if no first session is planned
        relationship_started(relationship)
    if notify:
        _notify_match(relationship, [m.participant for m in members], mentor if is_new else None)
    return relationship


def _notify_match(
    relationship: Relationship, newcomers: list[Participant], mentor: Participant | None
) -> None:
    """Tell each person who joins the relationship (and the mentor of a new one), after commit."""
    program = relationship.program
    path = reverse("mentorships:relationship", args=[relationship.pk])
    recipients = [*newcomers, *([mentor] if mentor and mentor not in newcomers else [])]
    Notification.objects.bulk_create(
        Notification(
            user=p.user,
            kind="match_made",
            text=f"You have a new match in {program.name}.",
            url=path,
        )
        for p in recipients
    )
    wanting = {u.pk for u in wanting_email([p.user for p in recipients], "match_made")}
    for participant in recipients:
        if participant.user_id not in wanting:
            continue
        email_after_commit(
            template="match_made",
            to=[participant.user.email],
            context={
                "name": participant.user.display_name,
                "program_name": program.name,
                "organization_name": program.organization.name,
                "relationship_path": path,
            },
        )
