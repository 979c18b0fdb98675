"""The mentorships app's models, one module per concern: relationships, sessions, goals."""

from tandem.mentorships.models.goals import Goal, GoalSharing, GoalTask
from tandem.mentorships.models.relationships import (
    OPEN_STATUSES,
    MatchSource,
    MemberRole,
    Relationship,
    RelationshipMember,
    RelationshipQuerySet,
    RelationshipStatus,
)
from tandem.mentorships.models.sessions import (
    Agenda,
    Session,
    SessionOption,
    SessionQuerySet,
    SessionStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "Agenda",
    "Goal",
    "GoalSharing",
    "GoalTask",
    "MatchSource",
    "MemberRole",
    "Relationship",
    "RelationshipMember",
    "RelationshipQuerySet",
    "RelationshipStatus",
    "Session",
    "SessionOption",
    "SessionQuerySet",
    "SessionStatus",
]
