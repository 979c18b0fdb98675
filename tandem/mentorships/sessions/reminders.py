"""The one reminder a mentee gets when a session's agenda is due and not sent.

Choosing a session's time queues the sweep of that session for its agenda's due time
(`run_after`); `manage.py send_agenda_reminders` sweeps every session, for cron or a worker
that was not running. Each reminder is claimed by a conditional UPDATE of
`agenda_reminder_sent_at` before its notice and email are written, in one transaction: running
the sweep twice, or cron beside the worker, sends nothing twice. A paused or concluded
relationship sends no reminder. Sessions are claimed BATCH at a time (locked, and checked still
due), their notices written in one insert and their emails queued after the commit.

The task lives here, beside the sweep it runs and the scheduling that queues it, so that no
module imports the one that imports it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from tandem.mentorships.models import (
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionStatus,
)
from tandem.mentorships.sessions import notices
from tandem.mentorships.sessions.access import AGENDA_WRITER_ROLES
from tandem.mentorships.sessions.times import format_moment
from tandem.programs.models import ParticipantStatus


def sessions_with_agenda_due(now: datetime.datetime) -> Q:
    """Scheduled, due, not started, not reminded, and no agenda sent."""
    return Q(
        status=SessionStatus.SCHEDULED,
        agenda_due_at__lte=now,
        starts_at__gt=now,
        agenda_reminder_sent_at__isnull=True,
        relationship__status=RelationshipStatus.ACTIVE,
    ) & (Q(agenda__isnull=True) | Q(agenda__sent_at__isnull=True))


BATCH = 500  # sessions claimed in one transaction


def agenda_reminders_send(
    *, session_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Remind the mentees of every session whose agenda is due and not sent. Returns how many
    sessions were reminded about (each once, ever)."""
    now = now or timezone.now()
    due = Session.objects.filter(sessions_with_agenda_due(now))
    if session_ids is not None:
        due = due.filter(pk__in=list(session_ids))
    ids = list(due.values_list("pk", flat=True).order_by("pk"))
    return sum(_remind_batch(ids[i : i + BATCH], now) for i in range(0, len(ids), BATCH))


def _remind_batch(ids: list[int], now: datetime.datetime) -> int:
    """Claim a batch of sessions (locked, and still due: a sweep beside this one finds them
    claimed once it gets the rows), then tell their mentees, in one transaction."""
    with transaction.atomic():
        claimed = list(
            Session.objects.select_for_update(of=("self",))
            .filter(pk__in=ids)
            .filter(sessions_with_agenda_due(now))
            .order_by("pk")
            .values_list("pk", "relationship_id", "starts_at")
        )
        if not claimed:
            return 0
        Session.objects.filter(pk__in=[pk for pk, _, _ in claimed]).update(
            agenda_reminder_sent_at=now
        )
        writers: dict[int, list[RelationshipMember]] = {}
        for member in RelationshipMember.objects.filter(
            relationship_id__in={rid for _, rid, _ in claimed},
            role__in=AGENDA_WRITER_ROLES,
            participant__status=ParticipantStatus.JOINED,
        ).select_related("participant__user"):
            writers.setdefault(member.relationship_id, []).append(member)
        batch = []
        for session_id, relationship_id, starts_at in claimed:
            assert starts_at is not None  # a scheduled session has its time
            url = reverse("mentorships:session", args=[session_id])
            for member in writers.get(relationship_id, []):
                user = member.participant.user
                when = format_moment(starts_at, user.zone)
                batch.append(
                    notices.Notice(
                        user=user,
                        kind="agenda_due",
                        subject=f"Send your agenda for {when}",
                        text=f"Your session is on {when}. Your agenda is due now: send it so "
                        "that your partner can prepare.",
                        url=url,
                        action="Write and send the agenda",
                    )
                )
        notices.tell_and_email_many(batch)
    return len(claimed)


@task()
def remind_agendas_due(session_ids: list[int] | None = None) -> int:
    return agenda_reminders_send(session_ids=session_ids)


def agenda_reminder_schedule(session: Session) -> bool:
    """After commit, queue the sweep of this session for its agenda's due time.

    Returns False where the task backend cannot wait for a time (TASKS_IMMEDIATE): there,
    `manage.py send_agenda_reminders` from cron does the reminding.
    """
    if session.agenda_due_at is None or not remind_agendas_due.get_backend().supports_defer:
        return False
    run_after = max(session.agenda_due_at, timezone.now())
    session_id = session.pk
    transaction.on_commit(
        lambda: remind_agendas_due.using(run_after=run_after).enqueue(session_ids=[session_id])
    )
    return True
