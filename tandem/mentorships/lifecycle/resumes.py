"""Paused relationships resume by themselves on their resume date.

Pausing with a date queues the sweep of that relationship for the start of that day
(`run_after`); `manage.py resume_paused_relationships` sweeps every relationship due, for cron
or a worker that was not running. Each resume locks the relationship's row and checks it is
still paused and due, so running the sweep twice, or cron beside the worker, resumes once.

The task lives here, beside the sweep it runs and the scheduling that queues it.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from tandem.core.dates import start_of_day
from tandem.mentorships.hooks import relationship_started
from tandem.mentorships.lifecycle.rules import check_room, current_members, tell_people
from tandem.mentorships.models import Relationship, RelationshipStatus, RelationshipStatusChange
from tandem.mentorships.sessions.nudges import session_nudge_schedule


def resume_as_planned(relationship_id: int, *, today: datetime.date) -> bool:
    """The pause's resume date has come: the relationship resumes by itself, and every member
    is told. If it cannot (the mentor's places were given away, someone left), it stays paused,
    the date is cleared and the members are told why, once. Returns whether it resumed."""
    with transaction.atomic():
        relationship = (
            Relationship.objects.select_for_update(of=("self",))
            .select_related("program")
            .filter(pk=relationship_id, status=RelationshipStatus.PAUSED, resume_on__lte=today)
            .first()
        )
        if relationship is None:
            return False  # resumed, concluded or moved meanwhile
        people = [m.participant.user for m in current_members(relationship)]
        try:
            check_room(relationship, adding=False)
        except ValidationError as error:
            relationship.resume_on = None
            relationship.save(update_fields=["resume_on", "updated_at"])
            tell_people(
                relationship,
                people,
                kind="relationship_resume_failed",
                text=f"Your relationship was to resume today, but: {' '.join(error.messages)} "
                "It stays paused: resume it when you can, or ask your coordinator.",
            )
            return False
        RelationshipStatusChange.objects.create(
            relationship=relationship,
            from_status=RelationshipStatus.PAUSED,
            to_status=RelationshipStatus.ACTIVE,
        )
        relationship.status, relationship.resume_on = RelationshipStatus.ACTIVE, None
        relationship.save(update_fields=["status", "resume_on", "updated_at"])
        tell_people(
            relationship,
            people,
            kind="relationship_resumed",
            text="Your relationship resumed today, as planned: reminders and planning start again.",
        )
        session_nudge_schedule(relationship, timezone.now())
        relationship_started(relationship)
        return True


def paused_relationships_resume(
    *, relationship_ids: Sequence[int] | None = None, today: datetime.date | None = None
) -> int:
    """Resume every paused relationship whose resume date has come. Returns how many did."""
    today = today or timezone.localdate()
    due = Relationship.objects.filter(status=RelationshipStatus.PAUSED, resume_on__lte=today)
    if relationship_ids is not None:
        due = due.filter(pk__in=list(relationship_ids))
    return sum(
        resume_as_planned(pk, today=today) for pk in due.values_list("pk", flat=True).order_by("pk")
    )


@task()
def resume_paused(relationship_ids: list[int] | None = None) -> int:
    return paused_relationships_resume(relationship_ids=relationship_ids)


def resume_schedule(relationship: Relationship) -> bool:
    """After commit, queue the sweep of this relationship for the start of its resume date.
    Returns False without a date, or where the task backend cannot wait for a time
    (TASKS_IMMEDIATE): there, `manage.py resume_paused_relationships` from cron does it."""
    if relationship.resume_on is None or not resume_paused.get_backend().supports_defer:
        return False
    run_after = max(start_of_day(relationship.resume_on), timezone.now())
    relationship_id = relationship.pk
    transaction.on_commit(
        lambda: resume_paused.using(run_after=run_after).enqueue(relationship_ids=[relationship_id])
    )
    return True
