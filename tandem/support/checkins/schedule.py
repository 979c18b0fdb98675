"""When members are asked for a check-in, and the one reminder.

Round 1 falls `checkin_first_days` after the match (default 30), then one every
`checkin_every_days` (default 60), from the program's settings. The sweep asks each current
member of every active relationship for the round it is in, once: the CheckIn row (unique per
relationship, member and round) is the claim, inserted with the notice in one transaction, so
running it twice, or cron beside the worker, asks nothing twice. A round missed while paused is
skipped, not asked late. One reminder goes out REMIND_AFTER an unanswered ask, while its round
lasts, claimed by a conditional update.

A match, a resume and a re-ignite queue the sweep of that relationship for its next round
(`run_after`); asking a round queues the next one and the reminder. `manage.py send_checkins`
sweeps everything, for cron or a worker that was not running.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from tandem.accounts.models import User
from tandem.core.dates import start_of_day
from tandem.mentorships.models import Relationship, RelationshipMember, RelationshipStatus
from tandem.mentorships.sessions.notices import tell_and_email
from tandem.programs.models import ParticipantStatus
from tandem.support.models import CheckIn

REMIND_AFTER = datetime.timedelta(days=7)
CHUNK = 2000


def round_on(
    started_on: datetime.date, today: datetime.date, *, first: int, every: int
) -> int | None:
    """The round `today` falls in (1 from the first check-in's day on), or None before it."""
    elapsed = (today - started_on).days - first
    return None if elapsed < 0 else elapsed // every + 1


def round_day(started_on: datetime.date, round: int, *, first: int, every: int) -> datetime.date:
    return started_on + datetime.timedelta(days=first + (round - 1) * every)


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _checkin_path(relationship: Relationship, checkin: CheckIn) -> str:
    return reverse("support:checkin", args=[relationship.program_id, checkin.pk])


def ask_member(relationship: Relationship, user: User, round: int, now: datetime.datetime) -> bool:
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                relationship=relationship, user=user, round=round, asked_at=now
            )
            tell_and_email(
                [user],
                kind="checkin_asked",
                subject="How is your mentoring going?",
                text="A one-minute check-in for your coordinators: how is it going, from 1 to "
                "5? Your partner never sees it.",
                url=_checkin_path(relationship, checkin),
                action="Answer the check-in",
            )
    except IntegrityError:
        return False  # asked meanwhile by another sweep
    return True


def checkins_send(
    *, relationship_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Ask every current member of every active relationship for their round's check-in, once.
    Returns how many were asked."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    relationships = Relationship.objects.filter(status=RelationshipStatus.ACTIVE).select_related(
        "program"
    )
    if relationship_ids is not None:
        relationships = relationships.filter(pk__in=list(relationship_ids))
    due: dict[int, tuple[Relationship, int]] = {}
    for relationship in relationships.only(
        "pk",
        "started_on",
        "program_id",
        "program__checkin_first_days",
        "program__checkin_every_days",
    ).iterator(chunk_size=CHUNK):
        program = relationship.program
        round = round_on(
            relationship.started_on,
            today,
            first=program.checkin_first_days,
            every=program.checkin_every_days,
        )
        if round is not None:
            due[relationship.pk] = (relationship, round)
    asked = 0
    for ids in _chunks(sorted(due)):
        done = set(
            CheckIn.objects.filter(relationship_id__in=ids).values_list(
                "relationship_id", "user_id", "round"
            )
        )
        members = (
            RelationshipMember.objects.filter(
                relationship_id__in=ids, participant__status=ParticipantStatus.JOINED
            )
            .select_related("participant__user")
            .order_by("relationship_id", "pk")
        )
        newly: set[int] = set()
        for member in members:
            relationship, round = due[member.relationship_id]
            user = member.participant.user
            if (relationship.pk, user.pk, round) in done:
                continue
            if ask_member(relationship, user, round, now):
                asked += 1
                newly.add(relationship.pk)
        for relationship_id in newly:
            relationship, round = due[relationship_id]
            _queue_next(relationship, round + 1)
            _queue(reminders_for=[relationship_id], at=now + REMIND_AFTER)
    return asked


def checkin_reminders_send(
    *, relationship_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Remind once whoever has not answered REMIND_AFTER their ask, while the round lasts."""
    now = now or timezone.now()
    waiting = CheckIn.objects.filter(
        answered_at__isnull=True,
        reminded_at__isnull=True,
        asked_at__lte=now - REMIND_AFTER,
        relationship__status=RelationshipStatus.ACTIVE,
    )
    if relationship_ids is not None:
        waiting = waiting.filter(relationship_id__in=list(relationship_ids))
    reminded = 0
    for checkin in waiting.select_related("relationship__program", "user").order_by("pk"):
        program = checkin.relationship.program
        closes = round_day(
            checkin.relationship.started_on,
            checkin.round + 1,
            first=program.checkin_first_days,
            every=program.checkin_every_days,
        )
        if timezone.localdate(now) >= closes:
            continue  # the next round has begun: it asks again
        with transaction.atomic():
            claimed = CheckIn.objects.filter(
                Q(pk=checkin.pk, answered_at__isnull=True, reminded_at__isnull=True)
            ).update(reminded_at=now)
            if not claimed:
                continue
            tell_and_email(
                [checkin.user],
                kind="checkin_reminder",
                subject="Your check-in is still open",
                text="Your coordinators would like to know how your mentoring is going: one "
                "minute, 1 to 5. Your partner never sees it.",
                url=_checkin_path(checkin.relationship, checkin),
                action="Answer the check-in",
            )
        reminded += 1
    return reminded


@task()
def send_checkins(relationship_ids: list[int] | None = None) -> int:
    return checkins_send(relationship_ids=relationship_ids)


@task()
def remind_checkins(relationship_ids: list[int] | None = None) -> int:
    return checkin_reminders_send(relationship_ids=relationship_ids)


def _queue(*, reminders_for: list[int], at: datetime.datetime) -> None:
    if not remind_checkins.get_backend().supports_defer:
        return
    transaction.on_commit(
        lambda: remind_checkins.using(run_after=at).enqueue(relationship_ids=reminders_for)
    )


def _queue_next(relationship: Relationship, round: int) -> None:
    if not send_checkins.get_backend().supports_defer:
        return  # TASKS_IMMEDIATE: `manage.py send_checkins` from cron does it
    program = relationship.program
    day = round_day(
        relationship.started_on,
        round,
        first=program.checkin_first_days,
        every=program.checkin_every_days,
    )
    run_after = max(start_of_day(day), timezone.now())
    relationship_id = relationship.pk
    transaction.on_commit(
        lambda: send_checkins.using(run_after=run_after).enqueue(relationship_ids=[relationship_id])
    )


def checkin_schedule(relationship: Relationship) -> None:
    """Queue the sweep of this relationship for the round to come (registered with the
    relationship hooks: a match, a resume, a re-ignite)."""
    program = relationship.program
    current = round_on(
        relationship.started_on,
        timezone.localdate(),
        first=program.checkin_first_days,
        every=program.checkin_every_days,
    )
    # The current round too, in case it was never asked (a resume within it).
    for round in [current, current + 1] if current else [1]:
        _queue_next(relationship, round)
