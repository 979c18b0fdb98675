"""What became of a session: cancelled (with a reason), held or missed; and sessions held
outside Tandem, logged afterwards. Each state change is a conditional UPDATE from the states
it may leave, so two members acting at once change it once."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tandem.accounts.models import User
from tandem.mentorships.journal.reflection_notices import reflection_notice_schedule
from tandem.mentorships.models import Session, SessionStatus
from tandem.mentorships.models.sessions import UPCOMING_STATUSES
from tandem.mentorships.sessions import notices
from tandem.mentorships.sessions.access import ensure_writable, member_of, session_of
from tandem.mentorships.sessions.nudges import session_nudge_schedule
from tandem.mentorships.sessions.proposing import Proposal, clean_place, overlap_warnings
from tandem.mentorships.sessions.times import MAX_MINUTES, TimeOption

OUTCOMES = {"held": SessionStatus.HELD, "missed": SessionStatus.MISSED}


@transaction.atomic
def session_cancel(
    *, session_id: int, user: User, reason: str, now: datetime.datetime | None = None
) -> Session:
    """A member calls off a proposed or scheduled session, saying why."""
    now = now or timezone.now()
    session, member = session_of(user, session_id, lock=True)
    ensure_writable(member.relationship)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say briefly why the session is cancelled."})
    cancelled = Session.objects.filter(pk=session.pk, status__in=UPCOMING_STATUSES).update(
        status=SessionStatus.CANCELLED,
        cancel_reason=reason[:2000],
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    if not cancelled:
        raise ValidationError(
            f"This session is {session.get_status_display().lower()}: it cannot be cancelled."
        )
    session.refresh_from_db()
    session.relationship = member.relationship
    members = notices.current_members(session)
    notices.tell(
        notices.others(members, user),
        kind="session_cancelled",
        text=f"{user.display_name} cancelled a session.",
        url=notices.session_path(session),
    )
    notices.email_with_calendar(
        session,
        members,
        kind="session_cancelled",
        lead=f"{user.display_name} cancelled the session",
    )
    return session


@transaction.atomic
def session_record(
    *, session_id: int, user: User, outcome: str, now: datetime.datetime | None = None
) -> Session:
    """Say whether a scheduled session that has started was held or missed."""
    now = now or timezone.now()
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "Say whether the session was held or missed."})
    session, member = session_of(user, session_id, lock=True)
    ensure_writable(member.relationship)
    if session.status == SessionStatus.SCHEDULED and not session.has_started(now):
        raise ValidationError("The session has not started yet: say how it went afterwards.")
    recorded = Session.objects.filter(
        pk=session.pk, status=SessionStatus.SCHEDULED, starts_at__lte=now
    ).update(status=OUTCOMES[outcome], sequence=F("sequence") + 1, updated_at=now)
    if not recorded:
        raise ValidationError(f"This session is {session.get_status_display().lower()} already.")
    session.refresh_from_db()
    if session.status == SessionStatus.HELD:
        reflection_notice_schedule(session)  # every member is asked to reflect, once
        assert session.ends_at is not None  # a held session has its time
        session_nudge_schedule(member.relationship, session.ends_at)
    return session


@transaction.atomic
def session_log(
    *,
    relationship_id: int,
    user: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    place: str = "",
    idempotency_key: str = "",
    now: datetime.datetime | None = None,
) -> Proposal:
    """Record a session held outside Tandem ("we met on …"): it must be in the past."""
    now = now or timezone.now()
    member = member_of(user, relationship_id, lock=True)
    relationship = member.relationship
    ensure_writable(relationship)
    if idempotency_key:
        existing = relationship.sessions.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return Proposal(existing, created=False)
    if ends_at <= starts_at:
        raise ValidationError({"duration_1": "The session ends before it starts."})
    if ends_at - starts_at > datetime.timedelta(minutes=MAX_MINUTES):
        raise ValidationError({"duration_1": f"Longer than {MAX_MINUTES // 60} hours?"})
    if starts_at > now:
        raise ValidationError(
            {"date_1": "A session you log has happened already: propose a session to come."}
        )
    try:
        with transaction.atomic():
            session = Session.objects.create(
                relationship=relationship,
                status=SessionStatus.HELD,
                starts_at=starts_at,
                ends_at=ends_at,
                place=clean_place(place),
                logged=True,
                created_by=user,
                idempotency_key=idempotency_key[:64],
            )
    except IntegrityError:
        return Proposal(relationship.sessions.get(idempotency_key=idempotency_key), created=False)
    reflection_notice_schedule(session)
    session_nudge_schedule(relationship, ends_at)
    warnings = overlap_warnings(user, [TimeOption(starts_at, ends_at)], exclude=session.pk)
    return Proposal(session, warnings)
