"""Reads about relationships: who is matched, and how much of a mentor's capacity is taken."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse

from tandem.accounts.models import User
from tandem.mentorships.models import (
    OPEN_STATUSES,
    MemberRole,
    Relationship,
    RelationshipMember,
)
from tandem.programs.matches import CurrentMatch
from tandem.programs.models import Participant, Program, Visibility


def open_load_by_mentor(program: Program) -> dict[int, int]:
    """Mentees each mentor has in open (active or paused) relationships of the program."""
    rows = (
        RelationshipMember.objects.filter(
            relationship__program=program,
            relationship__status__in=OPEN_STATUSES,
            role=MemberRole.MENTOR,
        )
        .values("participant_id")
        .annotate(
            mentees=Count(
                "relationship__members", filter=Q(relationship__members__role=MemberRole.MENTEE)
            )
        )
    )
    return {row["participant_id"]: row["mentees"] for row in rows}


def mentor_open_load(mentor: Participant) -> int:
    return RelationshipMember.objects.filter(
        relationship__members__participant=mentor,
        relationship__members__role=MemberRole.MENTOR,
        relationship__status__in=OPEN_STATUSES,
        role=MemberRole.MENTEE,
    ).count()


def matched_participant_ids(program: Program) -> set[int]:
    """Mentees and peers of the program who are in an open relationship."""
    return set(
        RelationshipMember.objects.filter(
            relationship__program=program,
            relationship__status__in=OPEN_STATUSES,
            role__in=[MemberRole.MENTEE, MemberRole.PEER],
        ).values_list("participant_id", flat=True)
    )


def relationships_for_user(user: User) -> QuerySet[Relationship]:
    return (
        Relationship.objects.of_user(user)
        .select_related("program")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=RelationshipMember.objects.select_related("participant__user"),
            )
        )
        .order_by("-created_at")
    )


def reasons_shown_to_members(relationship: Relationship) -> list[dict[str, object]]:
    """The "why you were matched" reasons that the matched people may see, decided now.

    Only reasons whose rule read public answers alone, by the questions' visibility at this
    moment (PRODUCT.md: "only reasons from answers that are public *when shown*"). A reason
    that read anything else (a private or deleted question, the email address) or whose
    sources are unknown is left out. Coordinators see `relationship.reasons` whole.
    """
    public = set(
        relationship.program.questions.filter(visibility=Visibility.PUBLIC).values_list(
            "slug", flat=True
        )
    )
    return [
        reason
        for reason in relationship.reasons
        if isinstance(reason.get("reads"), list)
        and reason["reads"]
        and set(reason["reads"]) <= public
    ]


def current_matches_for_participant(participant: Participant) -> list[CurrentMatch]:
    """The participant's open relationships, with the others in each (for "My program")."""
    relationships = (
        Relationship.objects.filter(members__participant=participant, status__in=OPEN_STATUSES)
        .prefetch_related(
            Prefetch(
                "members",
                queryset=RelationshipMember.objects.select_related("participant__user"),
            )
        )
        .order_by("created_at")
    )
    return [
        CurrentMatch(
            partner_names=[
                member.participant.user.display_name
                for member in relationship.members.all()
                if member.participant_id != participant.pk
            ],
            url=reverse("mentorships:relationship", args=[relationship.pk]),
        )
        for relationship in relationships
    ]


def relationships_of_participant_for_coordinator(participant: Participant) -> list[CurrentMatch]:
    """Every relationship of the participant (concluded too), linking to the coordinator's view."""
    relationships = (
        Relationship.objects.filter(members__participant=participant)
        .prefetch_related(
            Prefetch(
                "members",
                queryset=RelationshipMember.objects.select_related("participant__user"),
            )
        )
        .order_by("created_at")
    )
    return [
        CurrentMatch(
            partner_names=[
                member.participant.user.display_name
                for member in relationship.members.all()
                if member.participant_id != participant.pk
            ],
            url=reverse(
                "mentorships:relationship_overview", args=[participant.program_id, relationship.pk]
            ),
        )
        for relationship in relationships
    ]
