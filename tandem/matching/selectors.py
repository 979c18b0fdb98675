"""Reads for matching pages, and the access helpers they fetch through (404 outside reach)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from tandem.accounts.models import User
from tandem.matching.models import DraftMatch, DraftStatus, MatchRun, PairRule
from tandem.matching.problems import rules_for
from tandem.programs.models import Participant, Program
from tandem.programs.selectors import answers_for_participant, get_program_for_coordinator

DRAFTS_PER_PAGE = 50


def get_run_for_coordinator(user: User, program_id: int, run_id: int) -> MatchRun:
    program = get_program_for_coordinator(user, program_id)
    run = MatchRun.objects.filter(program=program, pk=run_id).select_related("created_by").first()
    if run is None:
        raise Http404("No such run.")
    run.program = program
    return run


def get_draft_for_coordinator(user: User, program_id: int, draft_id: int) -> DraftMatch:
    program = get_program_for_coordinator(user, program_id)
    draft = (
        DraftMatch.objects.filter(run__program=program, pk=draft_id)
        .select_related("run", "mentee__user", "mentor__user", "decided_by")
        .first()
    )
    if draft is None:
        raise Http404("No such draft.")
    draft.run.program = program
    return draft


def runs_for_program(program: Program) -> QuerySet[MatchRun]:
    return (
        MatchRun.objects.filter(program=program)
        .select_related("created_by")
        .defer("problem", "result")
        .annotate(
            proposed=Count("drafts", filter=Q(drafts__status=DraftStatus.PROPOSED)),
            approved=Count("drafts", filter=Q(drafts__status=DraftStatus.APPROVED)),
        )
    )


def run_status(run: MatchRun) -> MatchRun:
    """The run's live fields only (the page polls this): never loads the problem or result."""
    return MatchRun.objects.defer("problem", "result").get(pk=run.pk)


def drafts_page(run: MatchRun, status: str, page_number: str | int | None) -> Page:
    drafts = (
        DraftMatch.objects.filter(run=run)
        .select_related("mentee__user", "mentor__user")
        .order_by("-score", "id")
    )
    if status:
        drafts = drafts.filter(status=status)
    return Paginator(drafts, DRAFTS_PER_PAGE).get_page(page_number)


def draft_counts(run: MatchRun) -> dict[str, int]:
    rows = (
        DraftMatch.objects.filter(run=run).order_by().values_list("status").annotate(n=Count("id"))
    )
    return dict(rows)


def unmatched_people(run: MatchRun) -> list[dict[str, Any]]:
    """The run's unmatched list with each person's name (one query for all of them)."""
    unmatched = (run.result or {}).get("unmatched", [])
    ids = [int(u["id"]) for u in unmatched]
    people = {p.pk: p for p in Participant.objects.filter(pk__in=ids).select_related("user")}
    return [
        {**u, "participant": people.get(int(u["id"]))} for u in unmatched if int(u["id"]) in people
    ]


@dataclass(frozen=True)
class SideBySide:
    """Two profiles with the answers they share marked."""

    rows: list[tuple[str, str, str, bool]]  # question label, mentee's, mentor's, shared


def side_by_side(mentee: Participant, mentor: Participant) -> SideBySide:
    mentee_answers = {q.pk: (q, a) for q, a in answers_for_participant(mentee)}
    mentor_answers = {q.pk: (q, a) for q, a in answers_for_participant(mentor)}
    rows = []
    for question in mentee.program.questions.all():
        left = mentee_answers.get(question.pk, (question, ""))[1]
        right = mentor_answers.get(question.pk, (question, ""))[1]
        if not left and not right:
            continue
        shared = _shares(left, right)
        rows.append((question.label, left, right, shared))
    return SideBySide(rows=rows)


def _shares(left: str, right: str) -> bool:
    if not left or not right:
        return False
    a = {x.strip().casefold() for x in left.split(",")}
    b = {x.strip().casefold() for x in right.split(",")}
    return bool(a & b)


def pair_rules_for(program: Program) -> QuerySet[PairRule]:
    return rules_for(program).pair_rules.select_related("mentee__user", "mentor__user")
