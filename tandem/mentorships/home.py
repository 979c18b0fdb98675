"""Reads for the home page: a person's matches, and what each program they run is waiting for.

The home page sits here, above programs, because a program's next step depends on who is matched.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from tandem.accounts.models import User
from tandem.mentorships.messaging.selectors import with_unread_messages
from tandem.mentorships.models import OPEN_STATUSES, MemberRole, Relationship, RelationshipMember
from tandem.mentorships.selectors import relationships_for_user
from tandem.organizations.models import Organization
from tandem.programs.models import (
    Format,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    ProgramStatus,
    Question,
)
from tandem.programs.selectors import programs_for_coordinator


@dataclass(frozen=True)
class HomeMatch:
    relationship: Relationship
    partner_names: list[str]


def matches_for_home(user: User) -> list[HomeMatch]:
    """The person's relationships, each with the names of the others in it (never their own)
    and how many of their messages the person has not read."""
    return [
        HomeMatch(
            relationship=relationship,
            partner_names=[
                member.participant.user.display_name
                for member in relationship.members.all()
                if member.participant.user_id != user.pk
            ],
        )
        for relationship in with_unread_messages(relationships_for_user(user), user)
    ]


@dataclass(frozen=True)
class NextStep:
    text: str
    url: str = ""


def _count(queryset: QuerySet[Participant] | QuerySet[Question]) -> Coalesce:
    """A correlated COUNT of `queryset` rows of the outer program, 0 when there are none."""
    counted = queryset.order_by().values("program").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class ProgramToRun:
    program: Program
    next_steps: list[NextStep]


def programs_run_by(user: User) -> list[ProgramToRun]:
    """The programs a person runs (as coordinator or org admin), each with its next steps.

    One query: the counts behind the next steps are correlated subqueries of the program row.
    """
    in_program = {"program": OuterRef("pk")}
    matched = RelationshipMember.objects.filter(
        participant=OuterRef("pk"),
        relationship__status__in=OPEN_STATUSES,
        role__in=[MemberRole.MENTEE, MemberRole.PEER],
    )
    unmatched = Participant.objects.filter(
        **in_program,
        status=ParticipantStatus.JOINED,
        role__in=[ParticipantRole.MENTEE, ParticipantRole.BOTH],
    ).exclude(Exists(matched))
    waiting = Participant.objects.filter(
        **in_program, status=ParticipantStatus.INVITED, invited_at__isnull=True
    )
    programs = programs_for_coordinator(user).annotate(
        waiting_invitation=_count(waiting),
        unmatched_mentees=_count(unmatched),
        question_total=_count(Question.objects.filter(**in_program)),
    )
    return [
        ProgramToRun(
            program=program,
            next_steps=next_steps(
                program,
                questions=program.question_total,
                waiting_invitation=program.waiting_invitation,
                unmatched_mentees=program.unmatched_mentees,
            ),
        )
        for program in programs
    ]


def next_steps(
    program: Program, *, questions: int, waiting_invitation: int, unmatched_mentees: int
) -> list[NextStep]:
    """What the coordinator of `program` could do next, most basic first."""
    if program.status == ProgramStatus.CLOSED:
        return [NextStep("Closed: nothing to do.")]
    args = [program.pk]
    steps = []
    if program.status == ProgramStatus.DRAFT:
        steps.append(
            NextStep(
                "A draft: open it for enrolment when it is ready",
                reverse("programs:overview", args=args),
            )
        )
    if not questions:
        steps.append(
            NextStep("No sign-up questions yet: add them", reverse("programs:questions", args=args))
        )
    if waiting_invitation:
        people = "person" if waiting_invitation == 1 else "people"
        steps.append(
            NextStep(
                f"{waiting_invitation} {people} waiting for an invitation",
                reverse("programs:invitations", args=args),
            )
        )
    if unmatched_mentees:
        who = ("peer" if program.format == Format.PEER else "mentee") + (
            "s" * (unmatched_mentees != 1)
        )
        not_matched = f"{unmatched_mentees} {who} not matched yet"
        if program.smart_matching:
            step = NextStep(
                f"{not_matched}: start a smart match", reverse("matching:runs", args=args)
            )
        elif program.manual_matching:
            step = NextStep(
                f"{not_matched}: match them by hand", reverse("matching:manual", args=args)
            )
        else:
            step = NextStep(
                f"{not_matched}: they choose a mentor themselves",
                reverse("programs:participants", args=args),
            )
        steps.append(step)
    return steps or [NextStep("Nothing waiting for you.")]


def organizations_administered(user: User) -> QuerySet[Organization]:
    """The organizations a person administers, with how many programs each has."""
    return (
        Organization.objects.administered_by(user)
        .annotate(program_total=Count("programs", distinct=True))
        .order_by("name")
    )
