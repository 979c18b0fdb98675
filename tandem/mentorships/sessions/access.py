"""Who may act on a relationship's sessions: its members who are still in the program.

Anyone else (another relationship's member, a coordinator, someone who left) gets a 404, from
pages and services alike: the page never says the session exists.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

from tandem.accounts.models import User
from tandem.mentorships.models import (
    MemberRole,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    Session,
)
from tandem.programs.models import ParticipantStatus

CONCLUDED_MESSAGE = (
    "This relationship has concluded: its sessions stay here to read, and nothing new can be added."
)
# Who writes and sends a session's agenda: the mentee (any mentee of a group; any peer).
AGENDA_WRITER_ROLES = (MemberRole.MENTEE, MemberRole.PEER)


class NotAMember(Http404):
    """The person is not (or no longer) a member of the relationship: a 404 wherever it rises."""


def member_of(user: User, relationship_id: int, *, lock: bool = False) -> RelationshipMember:
    """`user`'s membership of the relationship, with the relationship and its program.

    `lock` takes the relationship's row first (SELECT … FOR UPDATE on PostgreSQL; SQLite
    serializes writers), so that writes to one relationship's sessions happen one at a time.
    """
    if lock:
        locked = Relationship.objects.select_for_update().filter(pk=relationship_id).first()
        if locked is None:
            raise NotAMember("No such relationship.")
    member = (
        RelationshipMember.objects.select_related(
            "relationship__program__organization", "participant__user"
        )
        .filter(
            relationship_id=relationship_id,
            participant__user=user,
            participant__status=ParticipantStatus.JOINED,
        )
        .first()
    )
    if member is None:
        raise NotAMember("No such relationship.")
    return member


def session_of(
    user: User, session_id: int, *, lock: bool = False
) -> tuple[Session, RelationshipMember]:
    """A session of a relationship `user` is a member of, and that membership; else 404."""
    relationship_id = (
        Session.objects.filter(pk=session_id).values_list("relationship_id", flat=True).first()
    )
    if relationship_id is None:
        raise NotAMember("No such session.")
    member = member_of(user, relationship_id, lock=lock)
    queryset = Session.objects.select_related("agenda")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    session = queryset.get(pk=session_id)
    session.relationship = member.relationship
    return session, member


def ensure_writable(relationship: Relationship) -> None:
    """Refuse any write in a concluded relationship, with a message saying why."""
    if relationship.status == RelationshipStatus.CONCLUDED:
        raise ValidationError(CONCLUDED_MESSAGE, code="concluded")


PAUSED_MESSAGE = "This relationship is paused: resume it first to plan a session."


def ensure_plannable(relationship: Relationship) -> None:
    """Refuse planning a session in a concluded or a paused relationship (messages, notes and
    goals stay open while paused: a pause is a break from meeting, not from each other)."""
    ensure_writable(relationship)
    if relationship.status == RelationshipStatus.PAUSED:
        raise ValidationError(PAUSED_MESSAGE, code="paused")


def writes_agendas(member: RelationshipMember) -> bool:
    return member.role in AGENDA_WRITER_ROLES
