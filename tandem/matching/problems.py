"""From a program to the engine's problem document (MATCHING.md), and back to participants.

Participants are named by their primary key as a string; attributes are the sign-up answers
by question slug, plus `user.email` for rules that compare with a person's address.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tandem.matching.models import MatchingRules, Objective, PairRuleKind
from tandem.mentorships.selectors import matched_participant_ids, open_load_by_mentor
from tandem.programs.models import (
    Answer,
    Format,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
)

EMAIL_ATTRIBUTE = "user.email"
MATCHING_FORMAT = "tandem-matching/1"


@dataclass(frozen=True)
class Segment:
    """Which part of the cohort a run covers.

    `unmatched` (the default) takes mentees with no open relationship and mentors with the
    capacity they have left; `all` re-plans the whole cohort at full capacity (approving its
    drafts is still refused where they clash with an existing relationship). `answer` narrows
    mentees to one answer of a single-choice question: {"question": slug, "value": choice}.
    """

    scope: str = "unmatched"
    answer: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segment:
        return cls(scope=data.get("scope", "unmatched"), answer=dict(data.get("answer") or {}))

    def as_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "answer": self.answer}

    def describe(self) -> str:
        text = "unmatched mentees" if self.scope == "unmatched" else "the whole cohort"
        if self.answer:
            text += f" answering {self.answer['value']!r} to {self.answer['question']}"
        return text


def rules_for(program: Program) -> MatchingRules:
    rules, _ = MatchingRules.objects.get_or_create(program=program)
    return rules


def _attributes(
    program: Program, participant_ids: list[int], *, few: bool = False
) -> dict[int, dict[str, Any]]:
    attributes: dict[int, dict[str, Any]] = defaultdict(dict)
    stored = Answer.objects.filter(participant__program=program)
    if few:  # a handful of people: ask for theirs; a whole cohort: one scan of the program
        stored = stored.filter(participant_id__in=participant_ids)
    rows = stored.values_list("participant_id", "question__slug", "value")
    wanted = set(participant_ids)
    for participant_id, slug, value in rows.iterator(chunk_size=10_000):
        if participant_id in wanted:
            attributes[participant_id][slug] = value
    return attributes


def build_problem(
    program: Program,
    rules: MatchingRules,
    segment: Segment,
    *,
    only: set[int] | None = None,
) -> dict[str, Any]:
    """The engine problem for this program, rules and segment, as a JSON-ready document.

    `only` keeps just those participants (by id): enough to judge a few pairs quickly.
    """
    joined = Participant.objects.filter(program=program, status=ParticipantStatus.JOINED)
    if only is not None:
        joined = joined.filter(pk__in=only)
    people = list(joined.select_related("user").order_by("pk"))
    criteria = [c.as_engine() for c in rules.criteria.all()]
    load = open_load_by_mentor(program) if segment.scope == "unmatched" else {}
    matched = matched_participant_ids(program) if segment.scope == "unmatched" else set()
    answer_filter: set[int] | None = None
    if segment.answer:
        answer_filter = set(
            Answer.objects.filter(
                participant__program=program,
                question__slug=segment.answer["question"],
                value=segment.answer["value"],
            ).values_list("participant_id", flat=True)
        )
    attributes = _attributes(program, [p.pk for p in people], few=only is not None)

    def entry(p: Participant, capacity: int) -> dict[str, Any]:
        return {
            "id": str(p.pk),
            "capacity": capacity,
            "attributes": {**attributes.get(p.pk, {}), EMAIL_ATTRIBUTE: p.user.email},
        }

    is_peer = program.format == Format.PEER
    mentees: list[dict[str, Any]] = []
    mentors: list[dict[str, Any]] = []
    for p in people:
        takes_part = p.pk not in matched and (answer_filter is None or p.pk in answer_filter)
        if is_peer:
            if takes_part:
                mentees.append(entry(p, 1))
            continue
        if p.role in (ParticipantRole.MENTEE, ParticipantRole.BOTH) and takes_part:
            mentees.append(entry(p, 1))
        if p.role in (ParticipantRole.MENTOR, ParticipantRole.BOTH):
            remaining = max(0, (p.capacity or 0) - load.get(p.pk, 0))
            mentors.append(entry(p, remaining))
    in_problem = {m["id"] for m in mentees} | {m["id"] for m in mentors}
    pinned: list[list[str]] = []
    forbidden: list[list[str]] = []
    for rule in rules.pair_rules.all():
        pair = [str(rule.mentee_id), str(rule.mentor_id)]
        if pair[0] in in_problem and pair[1] in in_problem:
            (pinned if rule.kind == PairRuleKind.PINNED else forbidden).append(pair)
    document: dict[str, Any] = {
        "format": MATCHING_FORMAT,
        "criteria": criteria,
        "min_score": rules.min_score,
        "pinned": sorted(pinned),
        "forbidden": sorted(forbidden),
    }
    if is_peer:
        document.update(objective="peer", participants=mentees, group_size=rules.group_size)
    else:
        document.update(
            objective=rules.objective if rules.objective in Objective.values else "fair",
            mentees=mentees,
            mentors=mentors,
        )
    return document
