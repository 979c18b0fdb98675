"""The one "reflection due" notice (in-app and email) each member gets some hours after a held
session ended, if they have not reflected yet.

Marking a session held (or logging one) queues the sweep of that session for its notice time
(`run_after`); `manage.py send_reflection_notices` sweeps every recent session, for cron or a
worker that was not running. Each member's notice is claimed by inserting its unique
ReflectionNotice row in the same transaction as the notice and the email, BATCH sessions at a
time under their row locks: running the sweep twice, or cron beside the worker, sends nothing
twice. A paused or concluded relationship, and
a member who left, get none.

The task lives here, beside the sweep it runs and the scheduling that queues it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from tandem.mentorships.models import (
    Reflection,
    ReflectionNotice,
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionStatus,
)
from tandem.mentorships.sessions import notices
from tandem.mentorships.sessions.times import format_moment
from tandem.programs.models import ParticipantStatus

# Long enough after the end for the session to settle; soon enough to remember it.
NOTICE_AFTER = datetime.timedelta(hours=3)
# Sessions logged long after they happened are not worth a notice (the page still asks).
NOTICE_WINDOW = datetime.timedelta(days=14)


def sessions_with_reflections_due(now: datetime.datetime) -> Q:
    """Held, ended at least NOTICE_AFTER ago (within NOTICE_WINDOW), relationship active."""
    return Q(
        status=SessionStatus.HELD,
        ends_at__lte=now - NOTICE_AFTER,
        ends_at__gt=now - NOTICE_WINDOW,
        relationship__status=RelationshipStatus.ACTIVE,
    )


BATCH = 500  # sessions claimed in one transaction


def reflection_notices_send(
    *, session_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Tell every member of a held session that their reflection is due, once each, unless
    they wrote it already. Returns how many notices went out."""
    now = now or timezone.now()
    due = Session.objects.filter(sessions_with_reflections_due(now))
    if session_ids is not None:
        due = due.filter(pk__in=list(session_ids))
    ids = list(due.values_list("pk", flat=True).order_by("pk"))
    return sum(_notify_batch(ids[i : i + BATCH], now) for i in range(0, len(ids), BATCH))


def _notify_batch(ids: list[int], now: datetime.datetime) -> int:
    """Lock a batch of sessions (a sweep beside this one waits, then finds them told), insert
    the claim rows of everyone not told and not reflected yet, and tell them: one transaction,
    a fixed number of queries."""
    with transaction.atomic():
        sessions = list(
            Session.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .filter(sessions_with_reflections_due(now))
            .order_by("pk")
            .only("pk", "relationship_id", "starts_at")
        )
        if not sessions:
            return 0
        locked = [session.pk for session in sessions]
        done = set(
            Reflection.objects.filter(session_id__in=locked).values_list("session_id", "author_id")
        ) | set(
            ReflectionNotice.objects.filter(session_id__in=locked).values_list(
                "session_id", "user_id"
            )
        )
        members: dict[int, list[RelationshipMember]] = {}
        for member in RelationshipMember.objects.filter(
            relationship_id__in={s.relationship_id for s in sessions},
            participant__status=ParticipantStatus.JOINED,
        ).select_related("participant__user"):
            members.setdefault(member.relationship_id, []).append(member)
        claims, batch = [], []
        for session in sessions:
            assert session.starts_at is not None  # a held session has its time
            url = notices.session_path(session)
            for member in members.get(session.relationship_id, []):
                user = member.participant.user
                if (session.pk, user.pk) in done:
                    continue
                claims.append(ReflectionNotice(session=session, user=user, sent_at=now))
                when = format_moment(session.starts_at, user.zone)
                batch.append(
                    notices.Notice(
                        user=user,
                        kind="reflection_due",
                        subject=f"Your reflection on the session of {when}",
                        text=f"How did the session of {when} go? Take five minutes to write "
                        "what you learned from your partner and what you will do before next "
                        "time. It stays private unless you share it.",
                        url=url,
                        action="Write your reflection",
                    )
                )
        ReflectionNotice.objects.bulk_create(claims)
        notices.tell_and_email_many(batch)
    return len(claims)


@task()
def notify_reflections_due(session_ids: list[int] | None = None) -> int:
    return reflection_notices_send(session_ids=session_ids)


def reflection_notice_schedule(session: Session) -> bool:
    """After commit, queue the sweep of this held session for NOTICE_AFTER past its end.

    Returns False where the task backend cannot wait for a time (TASKS_IMMEDIATE): there,
    `manage.py send_reflection_notices` from cron does it.
    """
    if session.ends_at is None or not notify_reflections_due.get_backend().supports_defer:
        return False
    run_after = max(session.ends_at + NOTICE_AFTER, timezone.now())
    session_id = session.pk
    transaction.on_commit(
        lambda: notify_reflections_due.using(run_after=run_after).enqueue(session_ids=[session_id])
    )
    return True
