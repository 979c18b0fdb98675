"""Self-match browse: the mentors a mentee may ask, ranked, searched and filtered, in pages.

Only public answers are read here, for the scores, the search, the filters and the cards: a
private answer (PRODUCT.md: "others: no") must never decide what a mentee sees, nor how many.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, prefetch_related_objects

from tandem.core.pagination import KeysetPage, keyset_page_of_list
from tandem.matching.models import MatchRequest
from tandem.matching.selectors import public_problem
from tandem.mentorships.selectors import open_load_by_mentor
from tandem.programs.models import (
    CHOICE_KINDS,
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    Question,
    Visibility,
)
from tandem.programs.questions import display_answer


@dataclass
class Recommendation:
    participant: Participant
    score: float
    rank: float
    places_left: int
    asked: bool
    reasons: list[dict[str, Any]]
    answers: list[tuple[Question, str]] = field(default_factory=list)  # public ones, shown

    @property
    def pk(self) -> int:
        return self.participant.pk


@dataclass(frozen=True)
class MentorFilters:
    search: str = ""
    answers: tuple[tuple[Question, str], ...] = ()  # (public choice question, chosen choice)

    @property
    def active(self) -> bool:
        return bool(self.search or self.answers)


def mentor_filter_questions(program: Program) -> list[Question]:
    """Public choice questions asked of mentors: the only ones browse may filter on."""
    prefetch_related_objects([program], "questions")
    return [
        q
        for q in program.questions.all()
        if q.kind in CHOICE_KINDS
        and q.visibility == Visibility.PUBLIC
        and q.asked_of(ParticipantRole.MENTOR)
    ]


def ranked_mentors(mentee: Participant) -> list[Recommendation]:
    """Every mentor the mentee may ask, best first, spread by the room each has left.

    Ranking multiplies the score by a factor that falls as a mentor's free places are taken
    (by matches or by requests waiting for them), so that everyone is not sent to the same
    popular mentor. Mentors with no room are left out. Scores use public answers only.
    """
    from tandem.matching.solver import candidates_document

    program = mentee.program
    problem = public_problem(program)
    loads = open_load_by_mentor(program)
    waiting = dict(
        MatchRequest.objects.open()
        .filter(program=program)
        .values_list("mentor_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    already_asked = set(
        MatchRequest.objects.open().filter(mentee=mentee).values_list("mentor_id", flat=True)
    )
    people = {
        p.pk: p
        for p in Participant.objects.filter(program=program, status=ParticipantStatus.JOINED)
        .mentors()
        .select_related("user")
        if p.user_id != mentee.user_id and p.capacity and p.capacity > loads.get(p.pk, 0)
    }
    # Only mentors with room are scored, so that reasons are written for those alone.
    problem["mentors"] = [m for m in problem["mentors"] if int(m["id"]) in people]
    if not problem["criteria"]:
        entries = [
            {"mentor": m["id"], "score": 0.0, "allowed": True, "reasons": []}
            for m in problem["mentors"]
        ]
    else:
        entries = candidates_document(problem, str(mentee.pk), allowed_only=True)
    ranked = []
    for entry in entries:
        mentor = people.get(int(entry["mentor"]))
        if mentor is None or not mentor.capacity:
            continue
        places = mentor.capacity - loads.get(mentor.pk, 0)
        free_share = max(0, places - waiting.get(mentor.pk, 0)) / mentor.capacity
        ranked.append(
            Recommendation(
                participant=mentor,
                score=float(entry["score"]),
                rank=float(entry["score"]) * (0.5 + 0.5 * free_share),
                places_left=places,
                asked=mentor.pk in already_asked,
                reasons=list(entry.get("reasons", [])),
            )
        )
    ranked.sort(key=lambda r: (-r.rank, r.participant.pk))
    return ranked


@dataclass(frozen=True)
class PublicAnswer:
    question: Question
    value: Any  # as stored: str, number or list of str; None when not answered
    shown: str  # as text


def _public_answers(
    program: Program, mentors: list[Recommendation]
) -> dict[int, list[PublicAnswer]]:
    """Each mentor's answers to the public questions asked of them, in question order."""
    questions = [
        q
        for q in program.questions.all()  # prefetched by mentor_filter_questions
        if q.visibility == Visibility.PUBLIC and q.asked_of(ParticipantRole.MENTOR)
    ]
    values: dict[int, dict[int, Any]] = {}
    rows = Answer.objects.filter(
        participant__in=[r.pk for r in mentors], question__in=[q.pk for q in questions]
    ).values_list("participant_id", "question_id", "value")
    for participant_id, question_id, value in rows:
        values.setdefault(participant_id, {})[question_id] = value
    answers = {}
    for r in mentors:
        mine = values.get(r.pk, {})
        answers[r.pk] = [
            PublicAnswer(q, mine.get(q.pk), display_answer(q, mine.get(q.pk)))
            for q in questions
            if q.asked_of(r.participant.role)
        ]
    return answers


def _matches(entry: Recommendation, answers: list[PublicAnswer], filters: MentorFilters) -> bool:
    text = " ".join([entry.participant.user.display_name, *(a.shown for a in answers)])
    if not all(word in text.casefold() for word in filters.search.casefold().split()):
        return False
    value_of = {a.question.pk: a.value for a in answers}
    for question, choice in filters.answers:
        value = value_of.get(question.pk)
        if not (value == choice or (isinstance(value, list) and choice in value)):
            return False
    return True


def mentors_page(
    mentee: Participant, filters: MentorFilters, params: Mapping[str, str]
) -> KeysetPage[Recommendation]:
    """One page of the ranked mentors that match the search and the filters (public answers).

    The search matches every word against the mentor's name and public answers; each filter
    keeps mentors whose public answer to that question is (or includes) the chosen choice.
    A fixed number of queries, however many mentors there are.
    """
    ranked = ranked_mentors(mentee)
    answers = _public_answers(mentee.program, ranked)
    if filters.active:
        ranked = [entry for entry in ranked if _matches(entry, answers[entry.pk], filters)]
    page = keyset_page_of_list(ranked, params=params, per_page=settings.MENTORS_PER_PAGE)
    for entry in page.object_list:
        entry.answers = [(a.question, a.shown) for a in answers[entry.pk] if a.shown]
    return page
