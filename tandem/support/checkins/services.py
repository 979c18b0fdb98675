"""Answering a check-in: its member only, once, while its round lasts (the next round asks
again); and a coordinator's ask between rounds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.text import clean_text
from tandem.mentorships.models import Relationship, RelationshipStatus
from tandem.programs.models import ParticipantStatus
from tandem.support.checkins import schedule
from tandem.support.models import COMMENT_MAX, CheckIn


def checkin_of(user: User, program_id: int, checkin_id: int) -> CheckIn:
    checkin = (
        CheckIn.objects.select_related("relationship__program")
        .filter(
            pk=checkin_id,
            user=user,
            relationship__program_id=program_id,
            relationship__members__participant__user=user,
            relationship__members__participant__status=ParticipantStatus.JOINED,
        )
        .first()
    )
    if checkin is None:
        raise Http404("No such check-in.")
    return checkin


def is_closed(checkin: CheckIn) -> bool:
    relationship = checkin.relationship
    program = relationship.program
    closes = schedule.round_day(
        relationship.started_on,
        checkin.round + 1,
        first=program.checkin_first_days,
        every=program.checkin_every_days,
    )
    return timezone.localdate() >= closes


@transaction.atomic
def checkin_answer(*, checkin: CheckIn, user: User, score: int, comment: str) -> CheckIn:
    if score not in range(1, 6):
        raise ValidationError({"score": "Choose a score from 1 to 5."})
    text = clean_text(comment, field="comment", max_length=COMMENT_MAX)
    if is_closed(checkin):
        raise ValidationError(
            "This check-in has closed: the next one has been sent to you.", code="closed"
        )
    answered = CheckIn.objects.filter(pk=checkin.pk, user=user, answered_at__isnull=True).update(
        score=score, comment=text, answered_at=timezone.now()
    )
    if not answered:
        raise ValidationError("You have answered this check-in already.", code="answered")
    checkin.refresh_from_db()
    return checkin


def checkin_ask_now(*, relationship: Relationship) -> int:
    """A coordinator asks the members now, between rounds: the round it falls in (or the first),
    once per member. Returns how many were asked."""
    if relationship.status != RelationshipStatus.ACTIVE:
        raise ValidationError("Only an active relationship is asked for check-ins.")
    program = relationship.program
    today = timezone.localdate()
    round = schedule.round_on(
        relationship.started_on,
        today,
        first=program.checkin_first_days,
        every=program.checkin_every_days,
    )
    now = timezone.now()
    asked = 0
    for member in relationship.members.select_related("participant__user").filter(
        participant__status=ParticipantStatus.JOINED
    ):
        asked += schedule.ask_member(relationship, member.participant.user, round or 1, now)
    return asked
