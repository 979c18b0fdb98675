"""Pair-level views of a problem, for people choosing by hand: scores, reasons, a preview.

`solve` answers "what is the best set of matches"; these answer "how good is each candidate
for this person" (manual matching, self-matching, swapping a mentor) and "what would these
rules do" (the rules page's preview). They score with the same exact model as `solve`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from .explain import criterion_detail
from .problem import SCORE_SCALE, Problem
from .scoring import ScoringModel

BLOCK_ROWS = 512
HISTOGRAM_BINS = 10


def _score(micro_points: float) -> float:
    return round(float(micro_points) / SCORE_SCALE, 6)


def candidates_for(
    problem: Problem,
    mentee_id: str,
    *,
    limit: int | None = None,
    allowed_only: bool = False,
    preferred: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Every mentor for one mentee: score, allowed or not (and which rule says no), reasons.

    Sorted best first: allowed before not allowed, then the `preferred` mentors (say, those
    with room left) before the others, then by score, then by mentor id. For a peer problem the
    mentee's fellow peers are the candidates. Reasons are written only for the entries
    returned, so asking for the top few of thousands of mentors stays cheap.
    """
    mentee_index = {p.id: i for i, p in enumerate(problem.mentees)}
    if mentee_id not in mentee_index:
        raise KeyError(mentee_id)
    i = mentee_index[mentee_id]
    if problem.is_peer:
        peers = _peer_candidates(problem, i)
        if allowed_only:
            peers = [e for e in peers if e["allowed"]]
        return peers[:limit] if limit is not None else peers
    mentors = problem.mentors
    model = ScoringModel([problem.mentees[i]], mentors, problem.criteria)
    rows = np.zeros(len(mentors), dtype=np.int64)
    cols = np.arange(len(mentors), dtype=np.int64)
    micro, _, values, contributions = model.pairs(rows, cols)
    failures = model.required_failures(np.array([0]), slice(None))
    forbidden = {b for a, b in problem.forbidden if a == mentee_id}
    min_micro = problem.min_score * SCORE_SCALE
    broken_by: list[list[str]] = []
    for j, mentor in enumerate(mentors):
        broken = [name for name, failed in failures.items() if failed[0, j]]
        if mentor.id in forbidden:
            broken.append("forbidden")
        elif not broken and micro[j] < min_micro:
            broken.append("min_score")
        broken_by.append(broken)
    order = sorted(
        (j for j in range(len(mentors)) if not (allowed_only and broken_by[j])),
        key=lambda j: (
            bool(broken_by[j]),
            mentors[j].id not in preferred,
            -float(micro[j]),
            mentors[j].id,
        ),
    )
    if limit is not None:
        order = order[:limit]
    mentee = problem.mentees[i]
    entries: list[dict[str, Any]] = []
    for j in order:
        mentor = mentors[j]
        ranked = sorted(range(len(problem.criteria)), key=lambda k: (-contributions[j, k], k))
        entries.append(
            {
                "mentor": mentor.id,
                "score": _score(micro[j]),
                "allowed": not broken_by[j],
                "excluded_by": broken_by[j],
                "reasons": [
                    {
                        "criterion": problem.criteria[k].name,
                        "value": round(float(values[j, k]), 6),
                        "detail": criterion_detail(
                            problem.criteria[k],
                            mentee.value(problem.criteria[k].mentee),
                            mentor.value(problem.criteria[k].mentor),
                        ),
                    }
                    for k in ranked
                ],
            }
        )
    return entries


def _peer_min_half_points(problem: Problem) -> int:
    # As in peer.py: a peer pair's weight is the sum of its two directions (twice its score).
    return 2 * int(np.floor(problem.min_score * SCORE_SCALE + 0.5))


def _peer_candidates(problem: Problem, i: int) -> list[dict[str, Any]]:
    """Fellow peers of peer `i`, scored as `solve` scores peer pairs (peer.py): the mean of both
    directions, allowed when the required rules hold both ways, not forbidden either way, and
    the mean is at least min_score."""
    people = problem.mentees
    me = people[i]
    model = ScoringModel(people, people, problem.criteria)
    others = np.array([j for j in range(len(people)) if j != i], dtype=np.int64)
    mine = np.full(len(others), i, dtype=np.int64)
    micro_ab, _, values_ab, contributions_ab = model.pairs(mine, others)
    micro_ba, _, values_ba, contributions_ba = model.pairs(others, mine)
    fail_ab = model.required_failures(np.array([i]), others)
    fail_ba = model.required_failures(others, np.array([i]))
    forbidden = {b for a, b in problem.forbidden if a == me.id}
    forbidden |= {a for a, b in problem.forbidden if b == me.id}
    weight = micro_ab + micro_ba
    min_weight = _peer_min_half_points(problem)
    entries: list[dict[str, Any]] = []
    for k, j in enumerate(others.tolist()):
        other = people[j]
        broken = [name for name in fail_ab if fail_ab[name][0, k] or fail_ba[name][k, 0]]
        if other.id in forbidden:
            broken.append("forbidden")
        elif not broken and weight[k] < min_weight:
            broken.append("min_score")
        contributions = contributions_ab[k] + contributions_ba[k]
        order = sorted(range(len(problem.criteria)), key=lambda c: (-contributions[c], c))
        entries.append(
            {
                "mentor": other.id,
                "score": round(float(weight[k]) / 2 / SCORE_SCALE, 6),
                "allowed": not broken,
                "excluded_by": broken,
                "reasons": [
                    {
                        "criterion": problem.criteria[c].name,
                        "value": round(float(values_ab[k, c] + values_ba[k, c]) / 2, 6),
                        "detail": criterion_detail(
                            problem.criteria[c],
                            me.value(problem.criteria[c].mentee),
                            other.value(problem.criteria[c].mentor),
                        ),
                    }
                    for c in order
                ],
            }
        )
    entries.sort(key=lambda e: (not e["allowed"], -float(e["score"]), str(e["mentor"])))
    return entries


def preview(problem: Problem, *, sample_people: int = 20) -> dict[str, Any]:
    """What the rules do to this cohort, before any run: allowed pairs, the score spread, and
    the people with no allowed partner, each with the rule that excludes them most often."""
    if problem.is_peer:
        return _peer_preview(problem, sample_people=sample_people)
    mentees, mentors = problem.mentees, problem.mentors
    model = ScoringModel(mentees, mentors, problem.criteria)
    forbidden = {(a, b) for a, b in problem.forbidden}
    mentee_index = {p.id: i for i, p in enumerate(mentees)}
    mentor_index = {p.id: j for j, p in enumerate(mentors)}
    forbidden_cells = [(mentee_index[a], mentor_index[b]) for a, b in forbidden]
    min_micro = problem.min_score * SCORE_SCALE
    histogram = np.zeros(HISTOGRAM_BINS, dtype=np.int64)
    mentee_allowed = np.zeros(len(mentees), dtype=np.int64)
    mentor_allowed = np.zeros(len(mentors), dtype=np.int64)
    mentee_rules: list[Counter[str]] = [Counter() for _ in mentees]
    mentor_rules: list[Counter[str]] = [Counter() for _ in mentors]
    for start in range(0, len(mentees), BLOCK_ROWS):
        rows = slice(start, min(start + BLOCK_ROWS, len(mentees)))
        micro, ok = model.block(rows, slice(None))
        allowed = ok & (micro >= min_micro)
        for i, j in forbidden_cells:
            if rows.start <= i < rows.stop:
                allowed[i - rows.start, j] = False
        bins = np.minimum(
            (micro[allowed] / SCORE_SCALE * HISTOGRAM_BINS).astype(np.int64), HISTOGRAM_BINS - 1
        )
        histogram += np.bincount(bins, minlength=HISTOGRAM_BINS)
        mentee_allowed[rows] += allowed.sum(axis=1)
        mentor_allowed += allowed.sum(axis=0)
        failures = model.required_failures(rows, slice(None))
        for name, failed in failures.items():
            per_mentee = failed.sum(axis=1)
            per_mentor = failed.sum(axis=0)
            for k, count in enumerate(per_mentee.tolist()):
                if count:
                    mentee_rules[rows.start + k][name] += count
            for j, count in enumerate(per_mentor.tolist()):
                if count:
                    mentor_rules[j][name] += count

    no_partner = _stranded(mentees, mentee_allowed, mentee_rules, "mentee")
    no_partner += _stranded(mentors, mentor_allowed, mentor_rules, "mentor")
    return _summary(len(mentees), len(mentors), histogram, no_partner, sample_people)


def _stranded(
    people: Sequence[Any], counts: np.ndarray, rules: list[Counter[str]], side: str
) -> list[dict[str, Any]]:
    found = []
    for k, person in enumerate(people):
        if counts[k] == 0:
            rule = rules[k].most_common(1)[0][0] if rules[k] else "min_score or forbidden"
            found.append({"id": person.id, "side": side, "rule": rule})
    return found


def _peer_preview(problem: Problem, *, sample_people: int) -> dict[str, Any]:
    """`preview` for peers: each unordered pair once, scored and allowed as `solve` does
    (mean of both directions, required rules both ways, forbidden in either order)."""
    people = problem.mentees
    n = len(people)
    model = ScoringModel(people, people, problem.criteria)
    index = {p.id: i for i, p in enumerate(people)}
    forbidden_cells = [(index[a], index[b]) for a, b in problem.forbidden]
    forbidden_cells += [(j, i) for i, j in forbidden_cells]
    min_weight = _peer_min_half_points(problem)
    histogram = np.zeros(HISTOGRAM_BINS, dtype=np.int64)
    partners = np.zeros(n, dtype=np.int64)
    rules: list[Counter[str]] = [Counter() for _ in people]
    for start in range(0, n, BLOCK_ROWS):
        rows = slice(start, min(start + BLOCK_ROWS, n))
        micro, ok = model.block(rows, slice(None))
        micro_back, ok_back = model.block(slice(None), rows)
        weight = micro + micro_back.T
        allowed = ok & ok_back.T & (weight >= min_weight)
        row_ids = np.arange(rows.start, rows.stop)
        myself = row_ids[:, None] == np.arange(n)[None, :]
        allowed &= ~myself
        for i, j in forbidden_cells:
            if rows.start <= i < rows.stop:
                allowed[i - rows.start, j] = False
        once = allowed & (np.arange(n)[None, :] > row_ids[:, None])  # each pair in one row
        bins = np.minimum(
            (weight[once] * HISTOGRAM_BINS) // (2 * SCORE_SCALE), HISTOGRAM_BINS - 1
        ).astype(np.int64)
        histogram += np.bincount(bins, minlength=HISTOGRAM_BINS)
        partners[rows] += allowed.sum(axis=1)
        back = model.required_failures(slice(None), rows)
        for name, failed in model.required_failures(rows, slice(None)).items():
            either = (failed | back[name].T) & ~myself
            for k, count in enumerate(either.sum(axis=1).tolist()):
                if count:
                    rules[rows.start + k][name] += count
    no_partner = _stranded(people, partners, rules, "mentee")
    return _summary(n, 0, histogram, no_partner, sample_people)


def _summary(
    mentees: int,
    mentors: int,
    histogram: np.ndarray,
    no_partner: list[dict[str, Any]],
    sample_people: int,
) -> dict[str, Any]:
    by_rule = Counter(entry["rule"] for entry in no_partner)
    return {
        "mentees": mentees,
        "mentors": mentors,
        "allowed_pairs": int(histogram.sum()),
        "histogram": [
            {
                "from": round(b / HISTOGRAM_BINS, 2),
                "to": round((b + 1) / HISTOGRAM_BINS, 2),
                "pairs": int(n),
            }
            for b, n in enumerate(histogram.tolist())
        ],
        "no_partner_count": len(no_partner),
        "no_partner_by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0]))),
        "no_partner": no_partner[:sample_people],
    }
