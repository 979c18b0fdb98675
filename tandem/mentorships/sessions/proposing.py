"""Proposing a session and agreeing on its time.

A member proposes one to three times; another member picks one (the session is scheduled), or
declines with a note and proposes others. Every write locks the relationship's row first, and
the step from proposed to scheduled is a conditional UPDATE, so two members picking at once
schedule it once; a form submitted twice (same idempotency key) makes one session.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tandem.accounts.models import User
from tandem.mentorships.models import Session, SessionOption, SessionStatus
from tandem.mentorships.sessions import notices
from tandem.mentorships.sessions.access import (
    ensure_plannable,
    member_of,
    session_of,
)
from tandem.mentorships.sessions.reminders import agenda_reminder_schedule
from tandem.mentorships.sessions.times import MAX_MINUTES, TimeOption, format_moment

MAX_OPTIONS = 3


@dataclass
class Proposal:
    """A session after a proposal or a pick, and the warnings to show (none refuse it)."""

    session: Session
    warnings: list[str] = field(default_factory=list)
    created: bool = True


def _check_options(options: Sequence[TimeOption], now: datetime.datetime) -> None:
    if not options:
        raise ValidationError({"date_1": "Propose at least one time."})
    if len(options) > MAX_OPTIONS:
        raise ValidationError(f"Propose at most {MAX_OPTIONS} times.")
    errors: dict[str, str] = {}
    for number, option in enumerate(options, start=1):
        if option.ends_at <= option.starts_at:
            errors[f"duration_{number}"] = f"Time {number} ends before it starts."
        elif option.ends_at - option.starts_at > datetime.timedelta(minutes=MAX_MINUTES):
            errors[f"duration_{number}"] = (
                f"Time {number} is longer than {MAX_MINUTES // 60} hours."
            )
        if option.starts_at <= now:
            errors[f"date_{number}"] = f"Time {number} is in the past: choose a time to come."
    if len({o.starts_at for o in options}) != len(options):
        errors.setdefault(f"date_{len(options)}", "Two of the times are the same.")
    if errors:
        raise ValidationError(errors)


def clean_place(place: str) -> str:
    place = " ".join(place.split())
    if len(place) > 300:
        raise ValidationError({"place": "Keep the place or link under 300 characters."})
    return place


def overlap_warnings(
    user: User, times: Sequence[TimeOption], *, exclude: int | None = None
) -> list[str]:
    """A warning for each time that overlaps another scheduled session of `user` (any
    relationship of theirs); only their own sessions are looked at, never a partner's."""
    if not times:
        return []
    earliest = min(t.starts_at for t in times)
    latest = max(t.ends_at for t in times)
    rows = list(
        Session.objects.filter(
            relationship__members__participant__user=user,
            status=SessionStatus.SCHEDULED,
            starts_at__lt=latest,
            ends_at__gt=earliest,
        )
        .exclude(pk=exclude or 0)
        .values_list("starts_at", "ends_at")
        .distinct()
    )
    # Scheduled sessions have both times (the session_timed_when_scheduled constraint).
    theirs = [(s, e) for s, e in rows if s is not None and e is not None]
    warnings = []
    for t in times:
        for starts_at, ends_at in theirs:
            if starts_at < t.ends_at and ends_at > t.starts_at:
                warnings.append(
                    f"{format_moment(t.starts_at, user.zone)} overlaps another session of yours "
                    f"({format_moment(starts_at, user.zone)}). It is kept; check it suits you."
                )
                break
    return warnings


@transaction.atomic
def session_propose(
    *,
    relationship_id: int,
    user: User,
    options: Sequence[TimeOption],
    place: str = "",
    idempotency_key: str = "",
    now: datetime.datetime | None = None,
) -> Proposal:
    """A member proposes a session at one of one to three times, all to come.

    The same `idempotency_key` again (a form submitted twice) returns the first session.
    """
    now = now or timezone.now()
    member = member_of(user, relationship_id, lock=True)
    relationship = member.relationship
    ensure_plannable(relationship)
    if idempotency_key:
        existing = relationship.sessions.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return Proposal(existing, created=False)
    _check_options(options, now)
    place = clean_place(place)
    try:
        with transaction.atomic():
            session = Session.objects.create(
                relationship=relationship,
                place=place,
                proposed_by=user,
                created_by=user,
                idempotency_key=idempotency_key[:64],
            )
    except IntegrityError:  # the same form, submitted at the same moment
        return Proposal(relationship.sessions.get(idempotency_key=idempotency_key), created=False)
    session.relationship = relationship
    SessionOption.objects.bulk_create(
        SessionOption(session=session, starts_at=o.starts_at, ends_at=o.ends_at) for o in options
    )
    notices.tell(
        notices.others(notices.current_members(session), user),
        kind="session_proposed",
        text=f"{user.display_name} proposed a session: pick one of the times.",
        url=notices.session_path(session),
    )
    return Proposal(session, overlap_warnings(user, options, exclude=session.pk))


@transaction.atomic
def session_pick(
    *, session_id: int, user: User, option_id: int, now: datetime.datetime | None = None
) -> Proposal:
    """Another member than the proposer picks one of the times: the session is scheduled."""
    now = now or timezone.now()
    session, member = session_of(user, session_id, lock=True)
    ensure_plannable(member.relationship)
    if session.status != SessionStatus.PROPOSED:
        raise ValidationError(f"This session is {session.get_status_display().lower()} already.")
    if session.proposed_by_id == user.pk:
        raise ValidationError("You proposed these times: the others pick one, or propose others.")
    option = session.options.filter(pk=option_id, declined_at__isnull=True).first()
    if option is None:
        raise ValidationError({"option": "Choose one of the times proposed."})
    if option.starts_at <= now:
        raise ValidationError({"option": "That time has passed: propose another instead."})
    due = option.starts_at - datetime.timedelta(hours=member.relationship.program.agenda_due_hours)
    picked = Session.objects.filter(pk=session.pk, status=SessionStatus.PROPOSED).update(
        status=SessionStatus.SCHEDULED,
        starts_at=option.starts_at,
        ends_at=option.ends_at,
        agenda_due_at=due,
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    if not picked:
        raise ValidationError("Someone picked a time meanwhile.")
    session.refresh_from_db()
    session.relationship = member.relationship
    for person in notices.others(notices.current_members(session), user):
        when = format_moment(option.starts_at, person.zone)
        notices.tell(
            [person],
            kind="session_scheduled",
            text=f"{user.display_name} picked a time: {when}.",
            url=notices.session_path(session),
        )
    notices.email_with_calendar(
        session,
        notices.current_members(session),
        kind="session_scheduled",
        lead=f"{user.display_name} picked a time",
    )
    agenda_reminder_schedule(session)
    timed = TimeOption(option.starts_at, option.ends_at)
    return Proposal(session, overlap_warnings(user, [timed], exclude=session.pk), created=False)


@transaction.atomic
def session_decline(
    *,
    session_id: int,
    user: User,
    note: str,
    options: Sequence[TimeOption],
    now: datetime.datetime | None = None,
) -> Proposal:
    """None of the times suits: say why, and propose others (the proposer now waits)."""
    now = now or timezone.now()
    session, member = session_of(user, session_id, lock=True)
    ensure_plannable(member.relationship)
    if session.status != SessionStatus.PROPOSED:
        raise ValidationError(f"This session is {session.get_status_display().lower()} already.")
    if session.proposed_by_id == user.pk:
        # Also what a second submission of the same decline meets: nothing happens twice.
        raise ValidationError("You proposed these times already: wait for the others' answer.")
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say briefly why these times do not work."})
    _check_options(options, now)
    session.options.filter(declined_at__isnull=True).update(declined_at=now)
    SessionOption.objects.bulk_create(
        SessionOption(session=session, starts_at=o.starts_at, ends_at=o.ends_at) for o in options
    )
    session.proposed_by = user
    session.response_note = note[:2000]
    session.sequence += 1
    session.save(update_fields=["proposed_by", "response_note", "sequence", "updated_at"])
    notices.tell(
        notices.others(notices.current_members(session), user),
        kind="session_declined",
        text=f"{user.display_name} proposed other times for a session.",
        url=notices.session_path(session),
    )
    return Proposal(session, overlap_warnings(user, options, exclude=session.pk), created=False)
