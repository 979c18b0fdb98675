"""Reading support requests: the author's own, and the coordinators' queue (per program, and
across every program a person runs), with each request's age and whether it has waited more
than two working days without an answer. A request is a 404 to anyone else."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.pagination import KeysetPage, keyset_page
from tandem.programs.models import Program
from tandem.programs.selectors import get_program_for_coordinator
from tandem.support.models import RequestStatus, SupportRequest

ANSWER_WITHIN_WORKING_DAYS = 2
PER_PAGE = 50
ORDER = ("created_at", "pk")
FILTERS = {
    "open": Q(status__in=[RequestStatus.NEW, RequestStatus.ACKNOWLEDGED]),
    "new": Q(status=RequestStatus.NEW),
    "resolved": Q(status=RequestStatus.RESOLVED),
    "all": Q(),
}


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """`days` working days (Monday to Friday) after `start`, in the installation's time zone;
    a start at a weekend counts from the Monday after."""
    local = timezone.localtime(start)
    while local.weekday() >= 5:
        local = (local + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0)
    added = 0
    while added < days:
        local += datetime.timedelta(days=1)
        if local.weekday() < 5:
            added += 1
    return local


def is_overdue(request: SupportRequest, now: datetime.datetime) -> bool:
    """New, no coordinator has answered, and two working days have gone by."""
    return (
        request.status == RequestStatus.NEW
        and request.answered_at is None
        and add_working_days(request.created_at, ANSWER_WITHIN_WORKING_DAYS) <= now
    )


def age_in_words(start: datetime.datetime, now: datetime.datetime) -> str:
    minutes = int((now - start).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


@dataclass(frozen=True)
class QueueRow:
    request: SupportRequest
    age: str
    overdue: bool

    @property
    def pk(self) -> int:
        return self.request.pk


@dataclass(frozen=True)
class Queue:
    page: KeysetPage[Any]
    rows: list[QueueRow]
    counts: dict[str, int]
    overdue: int
    chosen: str
    mine: bool


def _queue(requests: QuerySet[SupportRequest], *, user: User, params: Mapping[str, str]) -> Queue:
    now = timezone.now()
    chosen = params.get("show", "open")
    if chosen not in FILTERS:
        chosen = "open"
    mine = params.get("mine") == "1"
    counts = requests.aggregate(
        open=Count("pk", filter=FILTERS["open"]),
        new=Count("pk", filter=FILTERS["new"]),
        resolved=Count("pk", filter=FILTERS["resolved"]),
        all=Count("pk"),
    )
    shown = requests.filter(FILTERS[chosen])
    if mine:
        shown = shown.filter(assigned_to=user)
    page = keyset_page(
        shown.select_related("program", "assigned_to", "author").annotate(
            reply_count=Count("replies")
        ),
        order=ORDER,
        params=params,
        per_page=PER_PAGE,
        cursor_scope=requests,
    )
    rows = [
        QueueRow(r, age_in_words(r.created_at, now), is_overdue(r, now)) for r in page.object_list
    ]
    # Overdue across the whole queue, not just this page: new and unanswered, oldest first.
    overdue = sum(
        1
        for r in requests.filter(status=RequestStatus.NEW, answered_at__isnull=True).only(
            "pk", "status", "answered_at", "created_at"
        )
        if is_overdue(r, now)
    )
    return Queue(page, rows, counts, overdue, chosen, mine)


def program_queue(user: User, program: Program, params: Mapping[str, str]) -> Queue:
    return _queue(SupportRequest.objects.filter(program=program), user=user, params=params)


def queue_across_programs(user: User, params: Mapping[str, str]) -> Queue:
    programs = Program.objects.coordinated_by(user).values("pk")
    return _queue(SupportRequest.objects.filter(program__in=programs), user=user, params=params)


def request_for_coordinator(user: User, program_id: int, request_id: int) -> SupportRequest:
    program = get_program_for_coordinator(user, program_id)
    request = (
        SupportRequest.objects.select_related(
            "program__organization", "author", "assigned_to", "relationship", "resolved_by"
        )
        .filter(pk=request_id, program=program)
        .first()
    )
    if request is None:
        raise Http404("No such request.")
    return request


def request_for_author(user: User, program_id: int, request_id: int) -> SupportRequest:
    request = (
        SupportRequest.objects.select_related("program__organization")
        .filter(pk=request_id, program_id=program_id, author=user)
        .first()
    )
    if request is None:
        raise Http404("No such request.")
    return request


def requests_of_author(user: User, program_id: int) -> list[SupportRequest]:
    return list(
        SupportRequest.objects.filter(author=user, program_id=program_id)
        .annotate(reply_count=Count("replies", filter=Q(replies__by_coordinator=True)))
        .order_by("-created_at", "-pk")
    )


def thread_of(request: SupportRequest) -> list:
    """The replies, oldest first, with their authors and pathways."""
    return list(request.replies.select_related("author", "pathway").order_by("created_at", "pk"))
