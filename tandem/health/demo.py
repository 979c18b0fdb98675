"""The demo's program health: a pair matched seven weeks ago that has not met (quiet, and
stuck at "Matched"), whose mentee answered her first check-in with a 2 and asked the
coordinators for help two working days ago and more. Safe to run again."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tandem.mentorships.demo import backdate, demo_match, demo_pair
from tandem.programs.models import Program
from tandem.support.models import Category, CheckIn, SupportRequest, Urgency


def load_health_demo(program: Program) -> None:
    mentor, mentee = demo_pair(program, 5, 33)
    if mentee.memberships.exists():
        return
    quiet = demo_match(program, mentor, [mentee])
    backdate(quiet, weeks_ago=7)
    asked = timezone.now() - datetime.timedelta(days=19)
    for user, score, comment in (
        (mentee.user, 2, "We have not managed to meet yet; our calendars never match."),
        (mentor.user, 3, ""),
    ):
        CheckIn.objects.create(
            relationship=quiet,
            user=user,
            round=1,
            asked_at=asked,
            answered_at=asked + datetime.timedelta(days=1),
            score=score,
            comment=comment,
        )
    SupportRequest.objects.create(
        program=program,
        author=mentee.user,
        relationship=quiet,
        category=Category.RELATIONSHIP,
        urgency=Urgency.NORMAL,
        message="My mentor has cancelled three times. Could I be matched with someone else?",
        created_at=timezone.now() - datetime.timedelta(days=5),
    )
