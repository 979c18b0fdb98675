"""Reads for matching pages, and the access helpers they fetch through (404 outside reach)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from tandem.accounts.models import User
from tandem.core.pagination import KeysetPage, keyset_page
from tandem.matching.models import DraftMatch, DraftStatus, MatchRequest, MatchRun, PairRule
from tandem.matching.problems import EMAIL_ATTRIBUTE, Segment, build_problem, rules_for
from tandem.mentorships.selectors import (
    matched_participant_ids,
    mentor_open_load,
    open_load_by_mentor,
)
from tandem.programs.models import Participant, ParticipantStatus, Program, Visibility
from tandem.programs.selectors import answers_for_participant, get_program_for_coordinator

DRAFTS_PER_PAGE = 50
UNMATCHED_SHOWN = 200


def get_run_for_coordinator(user: User, program_id: int, run_id: int) -> MatchRun:
    program = get_program_for_coordinator(user, program_id)
    run = (
        MatchRun.objects.filter(program=program, pk=run_id)
        .select_related("created_by")
        .defer("problem", "result")  # whole-cohort documents: read only where needed
        .first()
    )
    if run is None:
        raise Http404("No such run.")
    run.program = program
    return run


def get_draft_for_coordinator(user: User, program_id: int, draft_id: int) -> DraftMatch:
    program = get_program_for_coordinator(user, program_id)
    draft = (
        DraftMatch.objects.filter(run__program=program, pk=draft_id)
        .select_related("run", "mentee__user", "mentor__user", "decided_by")
        .defer("run__problem", "run__result", "run__unmatched")  # see services.run_snapshot
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
        .defer("problem", "result", "unmatched")
        .annotate(
            proposed=Count("drafts", filter=Q(drafts__status=DraftStatus.PROPOSED)),
            approved=Count("drafts", filter=Q(drafts__status=DraftStatus.APPROVED)),
        )
    )


# What a row of the drafts page shows of a draft and its people (narrow rows: a page is 50 drafts
# and 100 people, and every unused column is a value to decode and a field to set).
_DRAFT_ROW = (
    "id",
    "run_id",
    "mentee_id",
    "mentor_id",
    "peers",
    "score",
    "reasons",
    "status",
    "mentee__id",
    "mentee__user__id",
    "mentee__user__full_name",
    "mentee__user__email",
    "mentor__id",
    "mentor__user__id",
    "mentor__user__full_name",
    "mentor__user__email",
)


def drafts_page(
    run: MatchRun, status: str, page_number: str | int | None, *, count: int | None = None
) -> Page:
    """One page of a run's drafts, best first, with both people and their users.

    The page is chosen on the drafts' ids alone (a subquery), and only its rows are joined to
    people: sorting whole joined rows of a 20,000-person run spilled to disk on every page.
    `count`, when the caller knows it (see `draft_counts`), saves the paginator its COUNT query.
    """
    drafts = DraftMatch.objects.filter(run=run)
    if status:
        drafts = drafts.filter(status=status)
    ids = drafts.order_by("-score", "id").values_list("pk", flat=True)
    paginator = Paginator(ids, DRAFTS_PER_PAGE)
    if count is not None:
        paginator.count = count  # a cached_property: set ahead, it is never computed
    numbered = paginator.get_page(page_number)
    drafts_shown = list(
        DraftMatch.objects.filter(pk__in=numbered.object_list)
        .select_related("mentee__user", "mentor__user")
        .only(*_DRAFT_ROW)
        .order_by("-score", "id")
    )
    return Page(drafts_shown, numbered.number, numbered.paginator)


def draft_counts(run: MatchRun) -> dict[str, int]:
    """Drafts of a run by status, every status present (0 when none)."""
    rows = (
        DraftMatch.objects.filter(run=run).order_by().values_list("status").annotate(n=Count("id"))
    )
    return dict.fromkeys(DraftStatus.values, 0) | dict(rows)


def unmatched_people(run: MatchRun, *, limit: int = UNMATCHED_SHOWN) -> list[dict[str, Any]]:
    """The first `limit` of the run's unmatched list, each with the person (in one query).

    A large run leaves thousands unmatched; the page lists the first ones and counts them all.
    """
    unmatched = run.unmatched[:limit]
    ids = [int(u["id"]) for u in unmatched]
    people = {
        p.pk: p
        for p in Participant.objects.filter(pk__in=ids)
        .select_related("user")
        .only("id", "user__id", "user__full_name", "user__email")
        .order_by()
    }
    return [
        {**u, "participant": people.get(int(u["id"]))} for u in unmatched if int(u["id"]) in people
    ]


@dataclass(frozen=True)
class ProfileRow:
    label: str
    mentee: str
    mentor: str
    highlighted: bool  # a rule that scored this pair reads this question
    private: bool


@dataclass(frozen=True)
class SideBySide:
    """Two profiles, question by question, with the questions behind the pair's score marked."""

    rows: list[ProfileRow]


def side_by_side(
    mentee: Participant, mentor: Participant, reasons: list[dict[str, Any]] | None = None
) -> SideBySide:
    """`reasons` (the engine's, for this pair) mark the questions of every rule that scored."""
    mentee_answers = {q.pk: a for q, a in answers_for_participant(mentee)}
    mentor_answers = {q.pk: a for q, a in answers_for_participant(mentor)}
    scoring = {r["criterion"] for r in reasons or [] if r.get("value")}
    highlighted: set[str] = set()
    for criterion in rules_for(mentee.program).criteria.all():
        if criterion.name in scoring:
            highlighted |= {criterion.mentee_attribute, criterion.mentor_attribute}
    rows = []
    for question in mentee.program.questions.all():
        left = mentee_answers.get(question.pk, "")
        right = mentor_answers.get(question.pk, "")
        if left or right:
            rows.append(
                ProfileRow(
                    question.label, left, right, question.slug in highlighted, question.is_private
                )
            )
    return SideBySide(rows=rows)


def pair_rules_for(program: Program) -> QuerySet[PairRule]:
    return rules_for(program).pair_rules.select_related("mentee__user", "mentor__user")


def peers_of(draft: DraftMatch) -> list[Participant]:
    return list(
        Participant.objects.filter(pk__in=draft.peers).select_related("user").order_by("pk")
    )


def with_participants(entries: list[dict[str, Any]], *, key: str) -> list[dict[str, Any]]:
    """Engine entries (ids as strings) with their participants attached, in one query."""
    ids = [int(e[key]) for e in entries]
    people = {p.pk: p for p in Participant.objects.filter(pk__in=ids).select_related("user")}
    return [{**e, "participant": people[int(e[key])]} for e in entries if int(e[key]) in people]


def unmatched_mentees_page(
    program: Program, query: str, params: Mapping[str, str]
) -> KeysetPage[Participant]:
    """Joined mentees of the program without an open relationship, searchable by name or email.

    Keyset pages in name order (`tandem.core.pagination`), as the participants list.
    """
    matched = matched_participant_ids(program)
    mentees = (
        Participant.objects.filter(program=program, status=ParticipantStatus.JOINED)
        .mentees()
        .exclude(pk__in=matched)
        .select_related("user")
    )
    if query:
        mentees = mentees.filter(
            Q(user__full_name__icontains=query) | Q(user__email__icontains=query)
        )
    return keyset_page(
        mentees,
        order=("user__full_name", "user__email", "pk"),
        params=params,
        per_page=DRAFTS_PER_PAGE,
        cursor_scope=program.participants.all(),
    )


def mentor_load(mentor: Participant) -> dict[str, int]:
    taken = mentor_open_load(mentor)
    capacity = mentor.capacity or 0
    return {"taken": taken, "capacity": capacity, "left": max(0, capacity - taken)}


def suggestions_for(
    program: Program, mentee: Participant, *, include_not_allowed: bool = False, limit: int = 25
) -> list[dict[str, Any]]:
    """Mentors for a mentee, best first, each with score, reasons, and places left."""
    from tandem.matching.solver import candidates_document

    problem = build_problem(program, rules_for(program), Segment(scope="all"))
    entries = candidates_document(
        problem, str(mentee.pk), limit=limit, allowed_only=not include_not_allowed
    )
    entries = with_participants(entries, key="mentor")
    loads = open_load_by_mentor(program)
    for entry in entries:
        participant = entry["participant"]
        entry["places_left"] = max(0, (participant.capacity or 0) - loads.get(participant.pk, 0))
    return entries


def get_own_participation(user: User, program_id: int) -> Participant:
    from tandem.programs.selectors import get_participation_for

    return get_participation_for(user, program_id)


def public_problem(program: Program) -> dict[str, Any]:
    """The program's problem scored with public answers only: what self-matching may show."""
    private = set(
        program.questions.filter(visibility=Visibility.PRIVATE).values_list("slug", flat=True)
    )
    private.add(EMAIL_ATTRIBUTE)
    problem = build_problem(program, rules_for(program), Segment(scope="all"))
    problem["criteria"] = [
        c for c in problem["criteria"] if not ({c["mentee"], c["mentor"]} & private)
    ]
    return problem


def requests_of(participant: Participant) -> dict[str, QuerySet[MatchRequest]]:
    """A participant's requests: those they sent (as mentee) and received (as mentor)."""
    base = MatchRequest.objects.select_related("mentee__user", "mentor__user").order_by(
        "-created_at"
    )
    return {
        "sent": base.filter(mentee=participant),
        "received": base.filter(mentor=participant),
    }


def rules_preview(program: Program) -> dict[str, Any] | None:
    """The engine's preview of the current rules on the whole joined cohort, with names for
    the people who have no allowed partner; None when there is no rule yet."""
    from tandem.matching.solver import EngineInputError, preview_document

    problem = build_problem(program, rules_for(program), Segment(scope="all"))
    if not problem["criteria"]:
        return None
    try:
        preview = preview_document(problem)
    except EngineInputError as error:
        return {"error": str(error)}
    preview["no_partner"] = with_participants(preview["no_partner"], key="id")
    peak = max((b["pairs"] for b in preview["histogram"]), default=0)
    for bucket in preview["histogram"]:
        bucket["percent"] = round(100 * bucket["pairs"] / peak) if peak else 0
    return preview
