"""Milestones, derived from what happened: matched → first session held → goals set →
mid-point → concluded with reflections. They are reached in that order (a goal set before the
first session counts once the session is held), except the last: a relationship that concluded
and whose members all wrote their closing reflection has reached its end, whatever it skipped.
"Since when" is the moment the current one was reached, so that how long a relationship has
stood still is one query away for a whole program (`with_milestone_facts`), which the program
health page reads."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tandem.core.dates import start_of_day
from tandem.mentorships.models import (
    ClosingReflection,
    Goal,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionStatus,
)
from tandem.programs.models import ParticipantStatus


class Milestone(IntEnum):
    MATCHED = 0
    FIRST_SESSION = 1
    GOALS_SET = 2
    MIDPOINT = 3
    CONCLUDED = 4

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Milestone.MATCHED: "Matched",
    Milestone.FIRST_SESSION: "First session held",
    Milestone.GOALS_SET: "Goals set",
    Milestone.MIDPOINT: "Mid-point",
    Milestone.CONCLUDED: "Concluded, with reflections",
}


@dataclass(frozen=True)
class Step:
    milestone: Milestone
    reached_at: datetime.datetime | None  # None: not reached yet

    @property
    def label(self) -> str:
        return self.milestone.label


@dataclass(frozen=True)
class Progress:
    steps: list[Step]
    current: Milestone
    since: datetime.datetime

    def days_at_current(self, now: datetime.datetime) -> int:
        return (now - self.since).days


def _count(model: Any, **filters: Any) -> Subquery:
    return Subquery(
        model.objects.filter(**filters)
        .order_by()
        .values("relationship")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def _first(model: Any, column: str, **filters: Any) -> Subquery:
    return Subquery(
        model.objects.filter(**filters)
        .order_by()
        .values("relationship")
        .annotate(at=Min(column))
        .values("at"),
        output_field=DateTimeField(),
    )


def with_milestone_facts(relationships: QuerySet[Relationship]) -> QuerySet[Relationship]:
    """The facts milestones are derived from, as columns of the same query."""
    here = OuterRef("pk")
    return relationships.annotate(
        first_held_at=_first(Session, "starts_at", relationship=here, status=SessionStatus.HELD),
        first_goal_at=_first(Goal, "created_at", relationship=here),
        closings=Coalesce(_count(ClosingReflection, relationship=here), 0),
        last_closing_at=Subquery(
            ClosingReflection.objects.filter(relationship=here)
            .order_by()
            .values("relationship")
            .annotate(at=Max("written_at"))
            .values("at"),
            output_field=DateTimeField(),
        ),
        current_members=Coalesce(
            _count(
                RelationshipMember,
                relationship=here,
                participant__status=ParticipantStatus.JOINED,
            ),
            0,
        ),
    )


def progress_of(relationship: Relationship, *, now: datetime.datetime) -> Progress:
    """From a relationship read through `with_milestone_facts`."""
    facts: Any = relationship
    started = start_of_day(relationship.started_on)
    half = (relationship.intended_end_on - relationship.started_on) / 2
    midpoint = start_of_day(relationship.started_on + half)
    concluded = (
        relationship.status == RelationshipStatus.CONCLUDED
        and facts.current_members > 0
        and facts.closings >= facts.current_members
    )
    concluded_at = None
    if concluded:
        concluded_at = max(
            t for t in (relationship.concluded_at, facts.last_closing_at) if t is not None
        )
    reached = [
        started,
        facts.first_held_at,
        facts.first_goal_at,
        midpoint if midpoint <= now else None,
        concluded_at,
    ]
    steps: list[Step] = []
    current, since = Milestone.MATCHED, started
    blocked = False
    for milestone, at in zip(Milestone, reached, strict=True):
        if milestone == Milestone.CONCLUDED and at is not None:
            blocked = False  # the end is the end, whatever was skipped on the way
        if at is None or blocked:
            blocked = True
            steps.append(Step(milestone, None))
            continue
        since = max(since, at)
        current = milestone
        steps.append(Step(milestone, since))
    return Progress(steps, current, since)


def progress_for(relationship_id: int, *, now: datetime.datetime | None = None) -> Progress:
    relationship = with_milestone_facts(Relationship.objects.filter(pk=relationship_id)).get()
    return progress_of(relationship, now=now or timezone.now())
