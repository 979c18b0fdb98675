"""Changing a relationship's status: pause, resume, conclude and re-ignite, by a member or by
the program's coordinator. Each change locks the relationship's row, checks where it stands
(a double submission finds it changed and changes nothing), records who, when and why, and
tells the other members. Capacity is checked on the locked participants' rows on resume and
re-ignite, so two at once never overfill a mentor."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.text import clean_text
from tandem.mentorships.hooks import relationship_started
from tandem.mentorships.lifecycle.resumes import resume_schedule
from tandem.mentorships.lifecycle.rules import check_room, current_members, tell_people
from tandem.mentorships.models import (
    ReigniteRequest,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    RelationshipStatusChange,
)
from tandem.mentorships.sessions.nudges import session_nudge_schedule
from tandem.programs.models import ParticipantStatus, Program

REASON_MAX = 2000
PAUSE_MAX_DAYS = 366


@dataclass(frozen=True)
class Actor:
    """Who acts on a relationship: one of its current members, or its program's coordinator."""

    user: User
    relationship: Relationship
    member: RelationshipMember | None

    @property
    def by_coordinator(self) -> bool:
        return self.member is None


def actor_for(user: User, relationship_id: int, *, as_coordinator: bool = False) -> Actor:
    """Lock the relationship's row and say who acts; a 404 for anyone else."""
    relationship = (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("program__organization")
        .filter(pk=relationship_id)
        .first()
    )
    if relationship is None:
        raise Http404("No such relationship.")
    if as_coordinator:
        if not Program.objects.coordinated_by(user).filter(pk=relationship.program_id).exists():
            raise Http404("No such relationship.")
        return Actor(user, relationship, None)
    member = (
        relationship.members.select_related("participant__user")
        .filter(participant__user=user, participant__status=ParticipantStatus.JOINED)
        .first()
    )
    if member is None:
        raise Http404("No such relationship.")
    return Actor(user, relationship, member)


def _reason(text: str, *, required: bool) -> str:
    reason = clean_text(text, field="reason", max_length=REASON_MAX)
    if required and not reason:
        raise ValidationError({"reason": "Say why, in a few words: your partner reads it."})
    return reason


def _record(
    actor: Actor, to_status: str, *, reason: str = "", resume_on: datetime.date | None = None
) -> None:
    relationship = actor.relationship
    RelationshipStatusChange.objects.create(
        relationship=relationship,
        from_status=relationship.status,
        to_status=to_status,
        changed_by=actor.user,
        by_coordinator=actor.by_coordinator,
        reason=reason,
        resume_on=resume_on,
    )
    relationship.status = to_status
    relationship.resume_on = resume_on
    fields = ["status", "resume_on", "updated_at"]
    if to_status == RelationshipStatus.CONCLUDED:
        relationship.concluded_at = timezone.now()
        fields.append("concluded_at")
    relationship.save(update_fields=fields)


def _tell(actor: Actor, *, kind: str, text: str, everyone: bool = False) -> None:
    """The other members (every member when the coordinator acted, or `everyone`)."""
    members = current_members(actor.relationship)
    people = [
        m.participant.user
        for m in members
        if everyone or actor.by_coordinator or m.participant.user_id != actor.user.pk
    ]
    tell_people(actor.relationship, people, kind=kind, text=text)


def _name(actor: Actor) -> str:
    return "Your coordinator" if actor.by_coordinator else actor.user.display_name


@transaction.atomic
def relationship_pause(
    *,
    relationship_id: int,
    user: User,
    reason: str,
    resume_on: datetime.date | None = None,
    as_coordinator: bool = False,
) -> Relationship:
    """A member pauses, saying why (the partner reads it); or the coordinator, for whom the
    reason is optional (the members read it too)."""
    actor = actor_for(user, relationship_id, as_coordinator=as_coordinator)
    relationship = actor.relationship
    if relationship.status != RelationshipStatus.ACTIVE:
        raise ValidationError(
            f"This relationship is {relationship.get_status_display().lower()}: only an active "
            "one can be paused.",
            code="not_active",
        )
    why = _reason(reason, required=not as_coordinator)
    today = timezone.localdate()
    if resume_on is not None and resume_on <= today:
        raise ValidationError({"resume_on": "The resume date must be after today."})
    if resume_on is not None and resume_on > today + datetime.timedelta(days=PAUSE_MAX_DAYS):
        raise ValidationError({"resume_on": "Pause for at most a year."})
    _record(actor, RelationshipStatus.PAUSED, reason=why, resume_on=resume_on)
    resume_schedule(relationship)
    until = f" until {resume_on:%-d %B %Y}" if resume_on else ""
    _tell(
        actor, kind="relationship_paused", text=f"{_name(actor)} paused your relationship{until}."
    )
    return relationship


@transaction.atomic
def relationship_resume(
    *, relationship_id: int, user: User, as_coordinator: bool = False
) -> Relationship:
    actor = actor_for(user, relationship_id, as_coordinator=as_coordinator)
    if actor.relationship.status != RelationshipStatus.PAUSED:
        raise ValidationError("This relationship is not paused.", code="not_paused")
    check_room(actor.relationship, adding=False)
    _record(actor, RelationshipStatus.ACTIVE)
    session_nudge_schedule(actor.relationship, timezone.now())
    relationship_started(actor.relationship)
    _tell(actor, kind="relationship_resumed", text=f"{_name(actor)} resumed your relationship.")
    return actor.relationship


@transaction.atomic
def relationship_conclude(
    *, relationship_id: int, user: User, reason: str = "", as_coordinator: bool = False
) -> Relationship:
    """Conclude; every member is asked for a closing reflection."""
    actor = actor_for(user, relationship_id, as_coordinator=as_coordinator)
    if actor.relationship.status == RelationshipStatus.CONCLUDED:
        raise ValidationError("This relationship has concluded already.", code="concluded")
    _record(actor, RelationshipStatus.CONCLUDED, reason=_reason(reason, required=False))
    ReigniteRequest.objects.filter(
        relationship=actor.relationship, answered_at__isnull=True
    ).delete()
    _tell(
        actor,
        kind="relationship_concluded",
        text=f"{_name(actor)} concluded your relationship. Write your closing reflection: what "
        "went well, what you learned.",
        everyone=True,
    )
    return actor.relationship


def _reignite(actor: Actor) -> Relationship:
    if actor.relationship.status != RelationshipStatus.CONCLUDED:
        raise ValidationError(
            "Only a concluded relationship can be re-ignited.", code="not_concluded"
        )
    check_room(actor.relationship, adding=True)
    _record(actor, RelationshipStatus.ACTIVE)
    session_nudge_schedule(actor.relationship, timezone.now())
    relationship_started(actor.relationship)
    ReigniteRequest.objects.filter(
        relationship=actor.relationship, answered_at__isnull=True
    ).update(answered_at=timezone.now(), answered_by=actor.user, accepted=True)
    return actor.relationship


@transaction.atomic
def reignite_ask(*, relationship_id: int, user: User) -> ReigniteRequest:
    """A member asks to start again; the others are asked to accept. Asking twice is one ask."""
    actor = actor_for(user, relationship_id)
    if actor.relationship.status != RelationshipStatus.CONCLUDED:
        raise ValidationError(
            "Only a concluded relationship can be re-ignited.", code="not_concluded"
        )
    pending = ReigniteRequest.objects.filter(
        relationship=actor.relationship, answered_at__isnull=True
    ).first()
    if pending is not None:
        return pending
    request = ReigniteRequest.objects.create(relationship=actor.relationship, asked_by=user)
    _tell(
        actor,
        kind="relationship_reignite_asked",
        text=f"{user.display_name} would like to start your mentoring again.",
    )
    return request


@transaction.atomic
def reignite_answer(*, relationship_id: int, user: User, accept: bool) -> Relationship:
    """Another member accepts (the relationship is active again) or declines the ask."""
    actor = actor_for(user, relationship_id)
    pending = ReigniteRequest.objects.filter(
        relationship=actor.relationship, answered_at__isnull=True
    ).first()
    if pending is None:
        raise ValidationError("Nobody has asked to start again.", code="no_request")
    if pending.asked_by_id == user.pk:
        raise ValidationError("Your partner answers your ask, not you.", code="own_request")
    if not accept:
        pending.answered_at, pending.answered_by, pending.accepted = timezone.now(), user, False
        pending.save(update_fields=["answered_at", "answered_by", "accepted"])
        _tell(
            actor,
            kind="relationship_reignite_declined",
            text=f"{user.display_name} would rather not start again now.",
        )
        return actor.relationship
    _reignite(actor)
    _tell(
        actor,
        kind="relationship_reignited",
        text=f"{user.display_name} accepted: your "
        "relationship is active again, with all its history.",
    )
    return actor.relationship


@transaction.atomic
def relationship_reignite(*, relationship_id: int, user: User) -> Relationship:
    """The coordinator starts a concluded relationship again."""
    actor = actor_for(user, relationship_id, as_coordinator=True)
    _reignite(actor)
    _tell(
        actor,
        kind="relationship_reignited",
        text="Your coordinator started your relationship again, with all its history.",
    )
    return actor.relationship
