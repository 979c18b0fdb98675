"""Self-matching: mentees send requests, mentors accept or decline, old requests are chased.

Every write is a transaction; emails and in-app notices go out after commit. The scheduled
job (`manage.py process_match_requests`, or its task) is idempotent: each reminder and each
expiry is claimed by a conditional UPDATE before its email is queued, so a second run, or two
at once, sends nothing twice.

The task worker runs the job on its own: sending a request queues the sweep of that request
for the moment its reminder is due and for the moment it expires (`run_after`), and changing a
program's reminder or expiry days queues its open requests again at the new times. Extra runs
are harmless, so nothing is ever unqueued when a request is answered.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification, User
from tandem.accounts.preferences import wants_email
from tandem.core.emails import email_after_commit
from tandem.matching.models import MatchingRules, MatchRequest, RequestStatus
from tandem.matching.problems import rules_for
from tandem.mentorships.models import MatchSource, Relationship
from tandem.mentorships.selectors import matched_participant_ids, mentor_open_load
from tandem.mentorships.services import MatchRefused, relationship_create
from tandem.programs.models import Participant, ParticipantStatus, Program

# Ids per queued sweep: keeps each task row, and the sweep's `pk IN (...)`, small.
CHASE_BATCH = 500


def _tell(
    user: User, *, kind: str, text: str, url: str, template: str, context: dict[str, str]
) -> None:
    Notification.objects.create(user=user, kind=kind, text=text, url=url)
    if not wants_email(user, kind):
        return
    email_after_commit(
        template=template,
        to=[user.email],
        context={"name": user.display_name, "text": text, "url": url, **context},
    )


def _requests_path(program_id: int) -> str:
    return reverse("matching:my_requests", args=[program_id])


@transaction.atomic
def match_request_send(*, mentee: Participant, mentor: Participant, message: str) -> MatchRequest:
    """A mentee asks a mentor. Refused with a message when it cannot be honoured."""
    program = mentee.program
    locked = (
        Participant.objects.select_for_update(of=("self",)).select_related("user").get(pk=mentee.pk)
    )
    if not program.self_matching:
        raise ValidationError("This program does not use self-matching.")
    if locked.status != ParticipantStatus.JOINED or not locked.is_mentee:
        raise ValidationError("Only mentees who have joined the program can send requests.")
    if mentor.program_id != program.pk or not mentor.is_mentor:
        raise ValidationError("Choose a mentor of this program.")
    if mentor.status != ParticipantStatus.JOINED or mentor.user_id == locked.user_id:
        raise ValidationError("This mentor is not available.")
    if locked.pk in matched_participant_ids(program):
        raise ValidationError("You have a match already.")
    if mentor_open_load(mentor) >= (mentor.capacity or 0):
        raise ValidationError(f"{mentor.user.display_name} has no room for another mentee now.")
    rules = rules_for(program)
    limit = rules.max_open_requests
    if MatchRequest.objects.open().filter(mentee=locked).count() >= limit:
        raise ValidationError(
            f"You can have {limit} open request{'s' if limit != 1 else ''} at a time. Wait for "
            "an answer, or withdraw one."
        )
    message = message.strip()
    if not message:
        raise ValidationError({"message": "Write a few words about what you hope to work on."})
    try:
        with transaction.atomic():
            request = MatchRequest.objects.create(
                program=program, mentee=locked, mentor=mentor, message=message
            )
    except IntegrityError:
        raise ValidationError(
            f"You have already asked {mentor.user.display_name}; wait for their answer."
        ) from None
    _tell(
        mentor.user,
        kind="request_received",
        text=f"{locked.user.display_name} asks you to be their mentor in {program.name}.",
        url=_requests_path(program.pk),
        template="match_request_received",
        context={"program_name": program.name, "organization_name": program.organization.name},
    )
    _chase_after_commit(
        {
            due: [request.pk]
            for due in _chase_due(
                request.created_at,
                reminded=False,
                reminder_days=rules.request_reminder_days,
                expiry_days=rules.request_expiry_days,
            )
        }
    )
    return request


def _locked_open_request(request_id: int, mentor_user: User) -> MatchRequest:
    request = (
        MatchRequest.objects.select_for_update(of=("self",))
        .select_related("program__organization", "mentee__user", "mentor__user")
        .filter(pk=request_id, mentor__user=mentor_user)
        .first()
    )
    if request is None:
        raise MatchRefused("This request does not exist.", code="no_request")
    if request.status != RequestStatus.OPEN:
        raise MatchRefused(
            f"This request is {request.get_status_display().lower()} already.", code="decided"
        )
    return request


@transaction.atomic
def match_request_accept(*, request_id: int, mentor_user: User, note: str = "") -> Relationship:
    """The mentor says yes: capacity is re-checked under lock, then the relationship exists."""
    request = _locked_open_request(request_id, mentor_user)
    program = request.program
    if not program.self_matching:
        raise MatchRefused(
            f"{program.name} no longer uses self-matching; the coordinators match people now.",
            code="self_matching_off",
        )
    relationship = relationship_create(
        program=program,
        mentor=request.mentor,
        mentees=[request.mentee],
        source=MatchSource.SELF,
        created_by=mentor_user,
        notify=False,  # the mentor has just said yes; the mentee gets "request accepted"
    )
    mentor_name = request.mentor.user.display_name
    _tell(
        request.mentee.user,
        kind="request_accepted",
        text=f"{mentor_name} accepted your request in {program.name}: you are matched."
        + (f" Their note: {note.strip()}" if note.strip() else ""),
        url=reverse("mentorships:relationship", args=[relationship.pk]),
        template="match_request_accepted",
        context={"program_name": program.name, "organization_name": program.organization.name},
    )
    now = timezone.now()
    MatchRequest.objects.filter(pk=request.pk).update(
        status=RequestStatus.ACCEPTED,
        response_note=note.strip(),
        decided_at=now,
        relationship=relationship,
        updated_at=now,
    )
    # The mentee is matched now: their other open requests are withdrawn, quietly.
    match_requests_withdraw_for(mentees=[request.mentee])
    return relationship


def match_requests_withdraw_for(*, mentees: Sequence[Participant]) -> int:
    """Quietly withdraw the open requests of mentees who have just been matched, however they
    were matched, so that no mentor is asked, or reminded, about someone no longer waiting."""
    now = timezone.now()
    return (
        MatchRequest.objects.open()
        .filter(mentee__in=[m.pk for m in mentees])
        .update(status=RequestStatus.WITHDRAWN, decided_at=now, updated_at=now)
    )


@transaction.atomic
def match_request_decline(*, request_id: int, mentor_user: User, note: str = "") -> MatchRequest:
    request = _locked_open_request(request_id, mentor_user)
    request.status = RequestStatus.DECLINED
    request.response_note = note.strip()
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "response_note", "decided_at", "updated_at"])
    program = request.program
    _tell(
        request.mentee.user,
        kind="request_declined",
        text=f"{request.mentor.user.display_name} cannot take you on in {program.name} now."
        + (f" Their note: {request.response_note}" if request.response_note else ""),
        url=_requests_path(program.pk),
        template="match_request_declined",
        context={"program_name": program.name, "organization_name": program.organization.name},
    )
    return request


@transaction.atomic
def match_request_withdraw(*, request_id: int, mentee_user: User) -> MatchRequest:
    request = (
        MatchRequest.objects.select_for_update(of=("self",))
        .filter(pk=request_id, mentee__user=mentee_user, status=RequestStatus.OPEN)
        .first()
    )
    if request is None:
        raise MatchRefused("This request is not open.", code="decided")
    request.status = RequestStatus.WITHDRAWN
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at", "updated_at"])
    return request


@dataclass(frozen=True)
class SweepResult:
    reminded: int
    expired: int


def match_requests_sweep(
    *, now: datetime.datetime | None = None, request_ids: Sequence[int] | None = None
) -> SweepResult:
    """Remind mentors of requests waiting N days and expire those waiting M days. Idempotent.

    `request_ids` limits the sweep to those requests (the runs queued for the worker).
    """
    now = now or timezone.now()
    reminded = expired = 0
    candidates = MatchRequest.objects.open().select_related(
        "program__organization", "program__matching_rules", "mentee__user", "mentor__user"
    )
    if request_ids is not None:
        candidates = candidates.filter(pk__in=list(request_ids))
    defaults = MatchingRules()
    for request in candidates.iterator(chunk_size=500):
        # Programs without saved rules use the defaults (7 and 14 days); never a query per row.
        rules = getattr(request.program, "matching_rules", None) or defaults
        age = now - request.created_at
        if age >= datetime.timedelta(days=rules.request_expiry_days):
            expired += _expire(request, now)
        elif (
            age >= datetime.timedelta(days=rules.request_reminder_days) and not request.reminded_at
        ):
            reminded += _remind(request, now)
    return SweepResult(reminded=reminded, expired=expired)


@transaction.atomic
def _remind(request: MatchRequest, now: datetime.datetime) -> int:
    claimed = MatchRequest.objects.filter(
        pk=request.pk, status=RequestStatus.OPEN, reminded_at__isnull=True
    ).update(reminded_at=now)
    if claimed:
        program = request.program
        _tell(
            request.mentor.user,
            kind="request_reminder",
            text=f"{request.mentee.user.display_name} is still waiting for your answer in "
            f"{program.name}.",
            url=_requests_path(program.pk),
            template="match_request_reminder",
            context={"program_name": program.name, "organization_name": program.organization.name},
        )
    return claimed


@transaction.atomic
def _expire(request: MatchRequest, now: datetime.datetime) -> int:
    claimed = MatchRequest.objects.filter(pk=request.pk, status=RequestStatus.OPEN).update(
        status=RequestStatus.EXPIRED, decided_at=now, updated_at=now
    )
    if claimed:
        program = request.program
        _tell(
            request.mentee.user,
            kind="request_expired",
            text=f"Your request to {request.mentor.user.display_name} in {program.name} expired "
            "without an answer. You can ask someone else.",
            url=_requests_path(program.pk),
            template="match_request_expired",
            context={"program_name": program.name, "organization_name": program.organization.name},
        )
    return claimed


# --- Queuing the sweep for the task worker -----------------------------------------------------


def _chase_due(
    sent_at: datetime.datetime, *, reminded: bool, reminder_days: int, expiry_days: int
) -> list[datetime.datetime]:
    """When the sweep must look at a request: its reminder (unless sent) and its expiry."""
    expiry = sent_at + datetime.timedelta(days=expiry_days)
    if reminded:
        return [expiry]
    return [sent_at + datetime.timedelta(days=reminder_days), expiry]


def _chase_after_commit(due: Mapping[datetime.datetime, list[int]]) -> int:
    """Once the transaction commits, queue a sweep of the given requests at each due time.

    Returns how many sweeps will be queued.
    """
    from tandem.matching.tasks import sweep_match_requests  # tasks import this module

    if not sweep_match_requests.get_backend().supports_defer:
        # The immediate backend (TASKS_IMMEDIATE) cannot wait for a date: there,
        # `manage.py process_match_requests` from cron does the chasing.
        return 0
    batches = [
        (run_after, ids[start : start + CHASE_BATCH])
        for run_after, ids in sorted(due.items())
        for start in range(0, len(ids), CHASE_BATCH)
    ]

    def enqueue() -> None:
        for run_after, ids in batches:
            sweep_match_requests.using(run_after=run_after).enqueue(request_ids=ids)

    transaction.on_commit(enqueue)
    return len(batches)


def _hour_up(moment: datetime.datetime) -> datetime.datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + datetime.timedelta(hours=1)


@transaction.atomic
def match_requests_schedule(*, program: Program | None = None) -> int:
    """Queue the sweep of open requests (one program's, or all) at the times the rules give now.

    For when the times queued at sending are wrong or missing: a coordinator changed the
    reminder or expiry days, or a deployment moves from cron to the worker. Future times are
    rounded up to the hour, so a large program queues a few hundred sweeps, not one per
    request; times already past become one sweep now. Returns how many sweeps are queued.
    """
    now = timezone.now()
    defaults = MatchingRules()
    requests = MatchRequest.objects.open()
    if program is not None:
        requests = requests.filter(program=program)
    rows = requests.values_list(
        "pk",
        "created_at",
        "reminded_at",
        "program__matching_rules__request_reminder_days",
        "program__matching_rules__request_expiry_days",
    )
    due: dict[datetime.datetime, list[int]] = defaultdict(list)
    for pk, sent_at, reminded_at, reminder_days, expiry_days in rows.iterator(chunk_size=2000):
        for moment in _chase_due(
            sent_at,
            reminded=reminded_at is not None,
            # A program without saved rules uses the defaults (the join finds no row).
            reminder_days=reminder_days or defaults.request_reminder_days,
            expiry_days=expiry_days or defaults.request_expiry_days,
        ):
            due[now if moment <= now else _hour_up(moment)].append(pk)
    return _chase_after_commit(due)
