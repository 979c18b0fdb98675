"""What the health page reads: the match rate against the program's target, and the program's
open relationships with what each last did, its milestone and how long it has stood there, its
last low check-in and the coordinator's last nudge, in one query; from those, the lists a
coordinator acts on (engaged, quiet, stuck, low check-ins), the self-match requests left open
and the support requests waiting. Metadata only: never a word anyone wrote."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tandem.core.dates import start_of_day
from tandem.core.queries import latest_per
from tandem.health.models import CoordinatorNudge
from tandem.matching.models import MatchRequest
from tandem.matching.models import RequestStatus as MatchRequestStatus
from tandem.mentorships.lifecycle.milestones import (
    Milestone,
    Progress,
    progress_of,
    with_milestone_facts,
)
from tandem.mentorships.models import (
    OPEN_STATUSES,
    Agenda,
    MemberRole,
    Message,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionStatus,
)
from tandem.programs.models import Participant, ParticipantStatus, Program
from tandem.support.models import LOW_SCORES, CheckIn, RequestStatus, SupportRequest

ENGAGED_WITHIN = datetime.timedelta(days=30)
STUCK_AFTER_DAYS = 21
REQUEST_OPEN_DAYS = 7
SHOWN = 50  # rows of each list on the page; the count says how many there are


@dataclass
class Row:
    relationship: Relationship
    members: list[RelationshipMember]
    last_activity: datetime.datetime
    progress: Progress
    low_checkin: bool
    last_nudged: datetime.datetime | None
    now: datetime.datetime

    @property
    def pk(self) -> int:
        return self.relationship.pk

    @property
    def quiet_days(self) -> int:
        return (self.now - self.last_activity).days

    @property
    def stuck_days(self) -> int:
        return self.progress.days_at_current(self.now)

    @property
    def mentee(self) -> RelationshipMember | None:
        return next((m for m in self.members if m.role != MemberRole.MENTOR), None)

    @property
    def nudged_this_spell(self) -> bool:
        return self.last_nudged is not None and self.last_nudged >= self.last_activity


@dataclass
class Health:
    joined: int
    matched: int
    target: int
    engaged: list[Row] = field(default_factory=list)
    quiet: list[Row] = field(default_factory=list)
    stuck: list[Row] = field(default_factory=list)
    low: list[Row] = field(default_factory=list)
    active: int = 0
    paused: int = 0
    open_requests: list[MatchRequest] = field(default_factory=list)
    open_request_count: int = 0
    support_waiting: int = 0

    @property
    def match_rate(self) -> int:
        return round(100 * self.matched / self.joined) if self.joined else 0

    @property
    def meets_target(self) -> bool:
        return self.match_rate >= self.target


def _relationships(program: Program, now: datetime.datetime) -> QuerySet[Relationship]:
    here = OuterRef("pk")
    recent_low = now - datetime.timedelta(days=program.checkin_every_days)
    members = RelationshipMember.objects.select_related("participant__user").order_by("role", "pk")
    return (
        with_milestone_facts(Relationship.objects.filter(program=program, status__in=OPEN_STATUSES))
        .annotate(
            last_session=latest_per(Session.objects.filter(relationship=here), "updated_at"),
            last_agenda=latest_per(
                Agenda.objects.filter(session__relationship=here),
                "sent_at",
                group="session__relationship",
            ),
            last_message=latest_per(Message.objects.filter(relationship=here), "created_at"),
            low_checkin=Exists(
                CheckIn.objects.filter(
                    relationship=here, score__in=LOW_SCORES, answered_at__gte=recent_low
                )
            ),
            last_nudged=latest_per(CoordinatorNudge.objects.filter(relationship=here), "sent_at"),
            sessions_held=Coalesce(
                Subquery(
                    Session.objects.filter(relationship=here, status=SessionStatus.HELD)
                    .order_by()
                    .values("relationship")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
        )
        .prefetch_related(Prefetch("members", queryset=members))
        .order_by("pk")
    )


def _row(relationship: Relationship, now: datetime.datetime) -> Row:
    facts: Any = relationship
    moments = [facts.last_session, facts.last_agenda, facts.last_message]
    last = max([start_of_day(relationship.started_on), *(m for m in moments if m is not None)])
    return Row(
        relationship,
        list(relationship.members.all()),
        last,
        progress_of(relationship, now=now),
        facts.low_checkin,
        facts.last_nudged,
        now,
    )


def rows_for_export(program: Program) -> list[Row]:
    """Every open relationship of the program as the health page sees it, in id order."""
    now = timezone.now()
    return [_row(r, now) for r in _relationships(program, now)]


def health_row(program: Program, relationship_id: int) -> Row | None:
    """One open relationship of the program as the health page sees it, or None."""
    now = timezone.now()
    found = _relationships(program, now).filter(pk=relationship_id).first()
    return None if found is None else _row(found, now)


def health_for(program: Program, *, now: datetime.datetime | None = None) -> Health:
    now = now or timezone.now()
    people = Participant.objects.filter(program=program, status=ParticipantStatus.JOINED)
    counts = people.aggregate(
        joined=Count("pk"),
        matched=Count(
            "pk",
            filter=Q(memberships__relationship__status__in=OPEN_STATUSES),
            distinct=True,
        ),
    )
    health = Health(counts["joined"], counts["matched"], program.match_rate_target)
    quiet_after = datetime.timedelta(days=program.quiet_after_days)
    for relationship in _relationships(program, now):
        row = _row(relationship, now)
        if relationship.status == RelationshipStatus.PAUSED:
            health.paused += 1
            continue
        health.active += 1
        if now - row.last_activity <= ENGAGED_WITHIN:
            health.engaged.append(row)
        if now - row.last_activity >= quiet_after:
            health.quiet.append(row)
        if row.progress.current < Milestone.CONCLUDED and row.stuck_days > STUCK_AFTER_DAYS:
            health.stuck.append(row)
        if row.low_checkin:
            health.low.append(row)
    health.quiet.sort(key=lambda r: r.last_activity)
    health.stuck.sort(key=lambda r: r.progress.since)
    requests = MatchRequest.objects.filter(
        program=program,
        status=MatchRequestStatus.OPEN,
        created_at__lte=now - datetime.timedelta(days=REQUEST_OPEN_DAYS),
    )
    health.open_request_count = requests.count()
    health.open_requests = list(
        requests.select_related("mentee__user", "mentor__user").order_by("created_at")[:SHOWN]
    )
    health.support_waiting = SupportRequest.objects.filter(
        program=program, status=RequestStatus.NEW, answered_at__isnull=True
    ).count()
    return health
