"""The mentorships app's models, one module per concern: relationships, sessions, notes and
reflections, goals, messages, calendars."""

from tandem.mentorships.models.calendars import CalendarFeed
from tandem.mentorships.models.goals import Goal, GoalSharing, GoalTask
from tandem.mentorships.models.lifecycle import (
    Again,
    ClosingReflection,
    ReigniteRequest,
    RelationshipStatusChange,
)
from tandem.mentorships.models.messages import Message, MessageDigest, MessageReadState
from tandem.mentorships.models.notes import PrivateNote, SessionNotes
from tandem.mentorships.models.reflections import Reflection, ReflectionNotice
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
    SessionNudge,
    SessionOption,
    SessionQuerySet,
    SessionStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "Again",
    "Agenda",
    "CalendarFeed",
    "ClosingReflection",
    "Goal",
    "GoalSharing",
    "GoalTask",
    "MatchSource",
    "MemberRole",
    "Message",
    "MessageDigest",
    "MessageReadState",
    "PrivateNote",
    "Reflection",
    "ReflectionNotice",
    "ReigniteRequest",
    "Relationship",
    "RelationshipMember",
    "RelationshipQuerySet",
    "RelationshipStatus",
    "RelationshipStatusChange",
    "Session",
    "SessionNotes",
    "SessionNudge",
    "SessionOption",
    "SessionQuerySet",
    "SessionStatus",
]
