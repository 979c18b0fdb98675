"""The mentee's nudge when nothing is planned: once a relationship has gone the program's
`mentor_prompt_after_days` (default 14) since its last held session ended (or since the match,
or since it resumed) with no session proposed or to come, its mentees (any mentee of a group,
any peer) get one in-app notice and email to propose a time. The workspace prompts the mentor
from the same day.

One nudge per gap: the SessionNudge row (relationship, start of the gap) is the claim, inserted
in the same transaction as the notices, so running the sweep twice, or cron beside the worker,
sends nothing twice. A paused or concluded relationship gets none.

Holding or logging a session, a new match and a resume queue the sweep of that relationship
for the day its gap would be due (`run_after`); `manage.py send_session_nudges` sweeps every
relationship, for cron or a worker that was not running. The whole sweep reads the candidates
in one query.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from tandem.core.dates import start_of_day
from tandem.core.queries import latest_per
from tandem.mentorships.models import (
    Relationship,
    RelationshipStatus,
    RelationshipStatusChange,
    Session,
    SessionNudge,
    SessionStatus,
)
from tandem.mentorships.sessions import notices
from tandem.mentorships.sessions.access import AGENDA_WRITER_ROLES
from tandem.programs.models import ParticipantStatus


def relationships_to_nudge(
    now: datetime.datetime, relationship_ids: Sequence[int] | None = None
) -> list[tuple[int, datetime.datetime, bool]]:
    """(relationship, start of its gap, whether they met before) for each active relationship
    due a nudge and not nudged for this gap yet. A session scheduled and past counts as met
    (its outcome is asked on the workspace). One query."""
    here = OuterRef("pk")
    planned = Session.objects.filter(relationship=here).filter(
        Q(status=SessionStatus.PROPOSED) | Q(status=SessionStatus.SCHEDULED, starts_at__gt=now)
    )
    candidates = (
        Relationship.objects.filter(status=RelationshipStatus.ACTIVE)
        .annotate(
            planned=Exists(planned),
            last_held=latest_per(
                Session.objects.filter(
                    relationship=here,
                    status__in=[SessionStatus.HELD, SessionStatus.SCHEDULED],
                    ends_at__lte=now,
                ),
                "ends_at",
            ),
            resumed=latest_per(
                RelationshipStatusChange.objects.filter(
                    relationship=here, to_status=RelationshipStatus.ACTIVE
                ),
                "created_at",
            ),
            nudged=latest_per(SessionNudge.objects.filter(relationship=here), "after"),
        )
        .filter(planned=False)
    )
    if relationship_ids is not None:
        candidates = candidates.filter(pk__in=list(relationship_ids))
    due = []
    for pk, started_on, days, last_held, resumed, nudged in candidates.values_list(
        "pk", "started_on", "program__mentor_prompt_after_days", "last_held", "resumed", "nudged"
    ).order_by("pk"):
        gap_from = max(t for t in (start_of_day(started_on), last_held, resumed) if t is not None)
        if gap_from + datetime.timedelta(days=days) > now:
            continue
        if nudged is not None and nudged >= gap_from:
            continue
        due.append((pk, gap_from, last_held is not None))
    return due


def session_nudges_send(
    *, relationship_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Nudge the mentees of every relationship with nothing planned for too long, once per
    gap. Returns how many relationships were nudged."""
    now = now or timezone.now()
    sent = 0
    for relationship_id, gap_from, met_before in relationships_to_nudge(now, relationship_ids):
        try:
            with transaction.atomic():
                SessionNudge.objects.create(
                    relationship_id=relationship_id, after=gap_from, sent_at=now
                )
                _nudge(relationship_id, met_before=met_before)
        except IntegrityError:
            continue  # claimed meanwhile by another sweep
        sent += 1
    return sent


def _nudge(relationship_id: int, *, met_before: bool) -> None:
    relationship = Relationship.objects.select_related("program").get(pk=relationship_id)
    members = list(
        relationship.members.select_related("participant__user").filter(
            participant__status=ParticipantStatus.JOINED
        )
    )
    leads = [m.participant.user for m in members if m.role in AGENDA_WRITER_ROLES]
    if met_before:
        text = (
            "Nothing is planned since your last session. Propose two or three times that suit "
            "you: your partner picks one."
        )
        subject = "Time to plan your next session"
    else:
        text = "Your mentoring starts with a first session: propose two or three times."
        subject = "Schedule your first session"
    notices.tell_and_email(
        leads,
        kind="session_nudge",
        subject=subject,
        text=text,
        url=reverse("mentorships:session_propose", args=[relationship_id]),
        action="Propose a time",
    )


@task()
def nudge_sessions(relationship_ids: list[int] | None = None) -> int:
    return session_nudges_send(relationship_ids=relationship_ids)


def session_nudge_schedule(relationship: Relationship, gap_from: datetime.datetime) -> bool:
    """After commit, queue the sweep of this relationship for when a gap starting at `gap_from`
    would be due. Returns False where the task backend cannot wait for a time
    (TASKS_IMMEDIATE): there, `manage.py send_session_nudges` from cron does it."""
    if not nudge_sessions.get_backend().supports_defer:
        return False
    days = relationship.program.mentor_prompt_after_days
    run_after = max(gap_from + datetime.timedelta(days=days), timezone.now())
    relationship_id = relationship.pk
    transaction.on_commit(
        lambda: nudge_sessions.using(run_after=run_after).enqueue(
            relationship_ids=[relationship_id]
        )
    )
    return True
