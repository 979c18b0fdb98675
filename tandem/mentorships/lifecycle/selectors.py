"""What the workspace shows of a relationship's life: its milestones, its status history, the
closing reflections the viewer may read, and a pending ask to start again. Four queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from tandem.mentorships.lifecycle.milestones import Progress, progress_of, with_milestone_facts
from tandem.mentorships.models import (
    ClosingReflection,
    ReigniteRequest,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    RelationshipStatusChange,
)


@dataclass(frozen=True)
class Lifecycle:
    progress: Progress
    history: list[RelationshipStatusChange]
    mine: ClosingReflection | None
    shared_with_me: list[ClosingReflection]
    reignite: ReigniteRequest | None
    viewer_id: int

    @property
    def waiting_for_my_answer(self) -> bool:
        return self.reignite is not None and self.reignite.asked_by_id != self.viewer_id


def lifecycle_for(member: RelationshipMember, *, now: datetime.datetime) -> Lifecycle:
    relationship = member.relationship
    user_id = member.participant.user_id
    facts = with_milestone_facts(Relationship.objects.filter(pk=relationship.pk)).get()
    history = list(
        RelationshipStatusChange.objects.filter(relationship=relationship)
        .select_related("changed_by")
        .order_by("-created_at", "-id")
    )
    closings = list(
        ClosingReflection.objects.filter(relationship=relationship).select_related("author")
    )
    mine = next((c for c in closings if c.author_id == user_id), None)
    shared = [c for c in closings if c.author_id != user_id and c.shared]
    reignite = (
        ReigniteRequest.objects.filter(relationship=relationship, answered_at__isnull=True)
        .select_related("asked_by")
        .first()
    )
    return Lifecycle(progress_of(facts, now=now), history, mine, shared, reignite, user_id)


def history_for_coordinator(relationship: Relationship) -> list[Any]:
    """Who changed the status, when, from what to what: never the reason members wrote."""
    labels = dict(RelationshipStatus.choices)
    rows = (
        RelationshipStatusChange.objects.filter(relationship=relationship)
        .order_by("-created_at", "-id")
        .values(
            "from_status",
            "to_status",
            "created_at",
            "by_coordinator",
            "changed_by",
            "changed_by__full_name",
        )
    )
    return [
        {**row, "from_label": labels[row["from_status"]], "to_label": labels[row["to_status"]]}
        for row in rows
    ]
