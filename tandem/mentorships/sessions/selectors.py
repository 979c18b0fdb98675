"""Reads of sessions: the members' workspace, and the coordinator's view of the same
relationship, which holds only when sessions took place and whether the agenda went out in
time, never what anyone wrote (PRODUCT.md privacy table)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import F, Prefetch
from django.http import Http404

from tandem.accounts.models import User
from tandem.mentorships.journal.selectors import has_reflected
from tandem.mentorships.models import (
    Relationship,
    RelationshipMember,
    Session,
    SessionOption,
    SessionStatus,
)
from tandem.mentorships.models.sessions import UPCOMING_STATUSES, agenda_sent_on_time
from tandem.mentorships.sessions.next_step import (
    NextStep,
    next_step_for,
    reflection_waiting_for,
)
from tandem.programs.models import Program

PAST_SHOWN = 20


@dataclass(frozen=True)
class Workspace:
    members: list[RelationshipMember]
    upcoming: list[Session]
    past: list[Session]
    past_total: int
    next_step: NextStep
    # The viewer's reflection on the latest session held, when not written yet.
    reflection_waiting: NextStep | None = None


def _open_options() -> Prefetch:
    return Prefetch(
        "options",
        queryset=SessionOption.objects.filter(declined_at__isnull=True).order_by("starts_at"),
        to_attr="open_options",
    )


def workspace_for(user: User, member: RelationshipMember, *, now: datetime.datetime) -> Workspace:
    """What the relationship's page shows its member: people, sessions, and whose move it is.

    A fixed number of queries whatever the number of sessions: the members, the upcoming
    sessions (with their agendas) and their open options, the latest past sessions, their count,
    and whether the viewer reflected on the latest one held.
    """
    relationship = member.relationship
    members = list(relationship.members.select_related("participant__user").order_by("role", "pk"))
    sessions = relationship.sessions.select_related("agenda")
    upcoming = list(
        sessions.filter(status__in=UPCOMING_STATUSES)
        .prefetch_related(_open_options())
        .order_by(F("starts_at").asc(nulls_first=True), "pk")
    )
    past_query = sessions.exclude(status__in=UPCOMING_STATUSES)
    past = list(past_query.order_by(F("starts_at").desc(nulls_last=True), "-pk")[:PAST_SHOWN])
    past_total = past_query.count()
    me = next(m for m in members if m.pk == member.pk)
    step = next_step_for(
        viewer=me,
        members=members,
        sessions=[*upcoming, *past],
        relationship=relationship,
        now=now,
        zone=user.zone,
    )
    latest_held = next((s for s in past if s.status == SessionStatus.HELD), None)
    waiting = reflection_waiting_for(
        latest_held=latest_held,
        reflected=latest_held is not None and has_reflected(user, latest_held.pk),
        relationship=relationship,
        now=now,
        zone=user.zone,
    )
    return Workspace(members, upcoming, past, past_total, step, waiting)


@dataclass(frozen=True)
class SessionFact:
    """One session as its coordinator sees it: when, what state, and whether the agenda went
    out in time. No text anyone wrote."""

    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None
    status: str
    status_label: str
    logged: bool
    agenda_on_time: bool | None


def get_relationship_for_coordinator(
    user: User, program_id: int, relationship_id: int
) -> Relationship:
    relationship = (
        Relationship.objects.filter(
            program__in=Program.objects.coordinated_by(user), program_id=program_id
        )
        .select_related("program__organization")
        .filter(pk=relationship_id)
        .first()
    )
    if relationship is None:
        raise Http404("No such relationship.")
    return relationship


def session_facts_for_coordinator(relationship: Relationship) -> list[SessionFact]:
    """Only metadata columns are read: nothing written by a member leaves the database."""
    rows = (
        Session.objects.filter(relationship=relationship)
        .exclude(status=SessionStatus.PROPOSED)
        .order_by(F("starts_at").desc(nulls_last=True), "-pk")
        .values("starts_at", "ends_at", "status", "logged", "agenda_due_at")
        .annotate(agenda_sent_at=F("agenda__sent_at"))
    )
    labels = dict(SessionStatus.choices)
    return [
        SessionFact(
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            status=str(row["status"]),
            status_label=str(labels[str(row["status"])]),
            logged=bool(row["logged"]),
            agenda_on_time=agenda_sent_on_time(row["agenda_sent_at"], row["agenda_due_at"]),
        )
        for row in rows
    ]


def members_for_coordinator(relationship: Relationship) -> list[RelationshipMember]:
    return list(relationship.members.select_related("participant__user").order_by("role", "pk"))


def proposed_count(relationship: Relationship) -> int:
    return relationship.sessions.filter(status=SessionStatus.PROPOSED).count()
