"""Reasons: why each pair scores what it does, and why each unmatched person was left out."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .candidates import Candidates, PairSource
from .problem import SCORE_SCALE, Criterion, Problem
from .scoring import ScoringModel, text_tokens, value_tokens

SHOWN = 6


def _number(value: float) -> str:
    return f"{value:g}"


def _list(items: list[str]) -> str:
    if len(items) > SHOWN:
        return ", ".join(items[:SHOWN]) + f" (+{len(items) - SHOWN} more)"
    return ", ".join(items)


def criterion_detail(criterion: Criterion, mentee_value: Any, mentor_value: Any) -> str:
    """A short human explanation of one criterion for one pair."""
    kind = criterion.type
    if kind in ("range", "near"):
        return detail_from_tokens(criterion, mentee_value, mentor_value)
    tokenize = text_tokens if kind == "text" else value_tokens
    return detail_from_tokens(criterion, tokenize(mentee_value), tokenize(mentor_value))


def detail_from_tokens(criterion: Criterion, a: Any, b: Any) -> str:
    """`criterion_detail` from already normalized tokens (numbers for range and near)."""
    kind = criterion.type
    mentee_value, mentor_value = a, b
    if kind in ("range", "near"):
        if mentee_value is None or mentor_value is None:
            side = "mentee" if mentee_value is None else "mentor"
            return f"no value for the {side}"
        difference = float(mentor_value) - float(mentee_value)
        if kind == "range":
            low = "any" if criterion.min is None else _number(criterion.min)
            high = "any" if criterion.max is None else _number(criterion.max)
            return f"mentor - mentee = {_number(difference)} (wanted {low} to {high})"
        return f"{_number(abs(difference))} apart (within {_number(criterion.within or 0)})"
    if a is None or b is None:
        if kind == "different":
            return "not known to be the same"
        side = "mentee" if a is None else "mentor"
        return f"no value for the {side}"
    a, b = list(a), list(b)
    other = set(b)
    shared = [x for x in a if x in other]
    if kind == "overlap":
        return f"shared: {_list(shared)}" if shared else "nothing shared"
    if kind == "same":
        return (
            f"both: {_list(shared)}"
            if shared
            else f"{_list(a) or '(none)'} vs {_list(b) or '(none)'}"
        )
    if kind == "different":
        return f"same: {_list(shared)}" if shared else "different"
    return f"common words: {_list(shared)}" if shared else "no common words"


class Explainer:
    """Builds the `reasons` and `unmatched` parts of a result."""

    def __init__(
        self,
        problem: Problem,
        model: ScoringModel | None,
        source: PairSource,
        candidates: Candidates,
    ) -> None:
        self.problem = problem
        self.model = model
        self.source = source
        self.candidates = candidates
        self.explicit: dict[tuple[int, int], int] = {}
        if source.explicit is not None:
            e_i, e_j, e_s = source.explicit
            self.explicit = dict(
                zip(zip(e_i.tolist(), e_j.tolist(), strict=True), e_s.tolist(), strict=True)
            )

    # -- pinned pairs ------------------------------------------------------------------------
    def pinned_scores(self, pinned: list[tuple[int, int]]) -> list[int]:
        """Scores of pinned pairs (0 for an explicit-score problem that does not list the pair)."""
        if not pinned:
            return []
        if self.model is None:
            return [self.explicit.get(pair, 0) for pair in pinned]
        score, _, _, _ = self.model.pairs(
            np.array([i for i, _ in pinned], dtype=np.int64),
            np.array([j for _, j in pinned], dtype=np.int64),
        )
        return [int(s) for s in score]

    def pinned_warnings(self, pinned: list[tuple[int, int]]) -> list[str]:
        """Pins of pairs that would not otherwise be allowed."""
        found = []
        forbidden_min = self.source.context.min_score
        scores = self.pinned_scores(pinned)
        for index, ((i, j), score) in enumerate(zip(pinned, scores, strict=True)):
            rule = None
            if self.model is None:
                if (i, j) not in self.explicit:
                    rule = "not listed in scores"
            else:
                failures = self.model.required_failures(np.array([i]), np.array([j]))
                broken = [name for name, failed in failures.items() if failed[0, 0]]
                if broken:
                    rule = ", ".join(broken)
            if rule is None and score < forbidden_min:
                rule = "min_score"
            if rule is not None:
                found.append(f"pinned[{index}]: pair is not otherwise allowed ({rule})")
        return found

    # -- match reasons -----------------------------------------------------------------------
    def reasons(self, pairs: list[tuple[int, int]]) -> list[list[dict[str, Any]]]:
        """Every criterion's value and detail per pair, strongest contribution first."""
        if self.model is None:
            return [
                [
                    {
                        "criterion": "score",
                        "value": round(self.explicit.get(pair, 0) / SCORE_SCALE, 6),
                        "detail": "given in scores"
                        if pair in self.explicit
                        else "pinned, not in scores",
                    }
                ]
                for pair in pairs
            ]
        if not pairs:
            return []
        mentees = np.array([i for i, _ in pairs], dtype=np.int64)
        mentors = np.array([j for _, j in pairs], dtype=np.int64)
        _, _, values, contributions = self.model.pairs(mentees, mentors)
        criteria = self.model.criteria
        order = (
            np.lexsort(
                (np.broadcast_to(np.arange(len(criteria)), contributions.shape), -contributions),
                axis=1,
            )
            if len(criteria)
            else np.zeros((len(pairs), 0), dtype=np.int64)
        )
        # Details depend only on the two token tuples (shared objects for equal values) or, for
        # `range` and `near`, on the two numbers, so they are cached per criterion: a cohort
        # repeats the same few values many times.
        names = [c.name for c in criteria]
        shown: dict[float, float] = {}  # round(v, 6), memoized: few distinct values repeat

        def show(value: float) -> float:
            found = shown.get(value)
            if found is None:
                found = shown[value] = round(value, 6)
            return found

        mentee_list = mentees.tolist()
        mentor_list = mentors.tolist()
        columns: list[list[dict[str, Any]]] = []
        for k, model in enumerate(self.model.models):
            criterion = criteria[k]
            a_tokens, b_tokens = model.mentee_tokens, model.mentor_tokens
            by_value = criterion.type in ("range", "near")
            cache: dict[tuple[Any, Any, Any], dict[str, Any]] = {}
            column: list[dict[str, Any]] = []
            append = column.append
            for i, j, value in zip(mentee_list, mentor_list, values[:, k].tolist(), strict=True):
                a, b = a_tokens[i], b_tokens[j]
                key = (a, b, value) if by_value else (id(a), id(b), value)
                entry = cache.get(key)
                if entry is None:
                    entry = cache[key] = {
                        "criterion": names[k],
                        "value": show(value),
                        "detail": detail_from_tokens(criterion, a, b),
                    }
                append(entry)
            columns.append(column)
        # Equal entries are one shared dict (read-only, see `solve`): a 50,000-person result has
        # a million entries, and copies of them took 150 MB at the run's peak.
        return [[columns[k][row] for k in ks] for row, ks in enumerate(order.tolist())]

    # -- unmatched ---------------------------------------------------------------------------
    def unmatched(self, mentees: list[int], mentors: list[int]) -> list[dict[str, Any]]:
        """One entry per person with no match, with the reason."""
        problem = self.problem
        entries: list[dict[str, Any]] = []
        no_partner_mentees = [i for i in mentees if self.candidates.allowed_per_mentee[i] == 0]
        no_partner_mentors = [
            j
            for j in mentors
            if self.candidates.allowed_per_mentor[j] == 0 and problem.mentors[j].capacity > 0
        ]
        mentee_rules = self._exclusions(no_partner_mentees, "mentee")
        mentor_rules = self._exclusions(no_partner_mentors, "mentor")
        for i in mentees:
            allowed = int(self.candidates.allowed_per_mentee[i])
            if not problem.mentors:
                reason = "no mentors in the problem"
            elif allowed == 0:
                reason = f"no allowed mentor ({mentee_rules[i]})"
            else:
                plural = "s" if allowed != 1 else ""
                reason = (
                    f"capacity taken by better uses ({allowed} allowed mentor{plural}, all full)"
                )
            entries.append({"id": problem.mentees[i].id, "side": "mentee", "reason": reason})
        for j in mentors:
            allowed = int(self.candidates.allowed_per_mentor[j])
            if problem.mentors[j].capacity == 0:
                reason = "capacity 0 (not taking anyone now)"
            elif not problem.mentees:
                reason = "no mentees in the problem"
            elif allowed == 0:
                reason = f"no allowed mentee ({mentor_rules[j]})"
            else:
                reason = (
                    f"capacity taken by better uses ({allowed} allowed mentee"
                    f"{'s' if allowed != 1 else ''}, all matched elsewhere)"
                )
            entries.append({"id": problem.mentors[j].id, "side": "mentor", "reason": reason})
        return entries

    def _exclusions(self, people: list[int], side: str) -> dict[int, str]:
        """For people with no allowed partner: the rule that excluded the most partners."""
        if not people:
            return {}
        problem = self.problem
        ctx = self.source.context
        m = ctx.n_mentors
        names: list[str] = []
        if self.model is not None:
            names = [c.name for c in self.model.criteria if c.required]
        answer: dict[int, str] = {}
        chunk = 256
        for start in range(0, len(people), chunk):
            group = np.array(people[start : start + chunk], dtype=np.int64)
            if side == "mentee":
                rows, cols = group, np.arange(m)
            else:
                rows, cols = np.arange(ctx.n_mentees), group
            counts: dict[str, np.ndarray] = {}
            if self.model is not None:
                failures = self.model.required_failures(rows, cols)
                score, _ = self.model.block(rows, cols)
                passed = np.ones(score.shape, dtype=bool)
                for name in names:
                    counts[name] = failures[name].sum(axis=1 if side == "mentee" else 0)
                    passed &= ~failures[name]
                below = passed & (score < ctx.min_score)
            else:
                below = np.zeros((len(rows), len(cols)), dtype=bool)
                listed = np.zeros((len(rows), len(cols)), dtype=bool)
                row_at = {int(r): p for p, r in enumerate(rows.tolist())}
                col_at = {int(c): p for p, c in enumerate(cols.tolist())}
                for (i, j), s in self.explicit.items():
                    if i in row_at and j in col_at:
                        listed[row_at[i], col_at[j]] = True
                        below[row_at[i], col_at[j]] = s < ctx.min_score
                counts["not listed in scores"] = (~listed).sum(axis=1 if side == "mentee" else 0)
            counts["min_score"] = below.sum(axis=1 if side == "mentee" else 0)
            forbidden = np.zeros((len(rows), len(cols)), dtype=bool)
            keys = ctx.forbidden_keys
            if len(keys):
                grid = rows[:, None] * m + cols[None, :]
                forbidden = np.isin(grid, keys)
            counts["forbidden"] = forbidden.sum(axis=1 if side == "mentee" else 0)
            for position, person in enumerate(group.tolist()):
                best = max(counts, key=lambda name: int(counts[name][position]))
                answer[person] = best if int(counts[best][position]) > 0 else "no partner"
        _ = problem
        return answer


def dumps(value: Any) -> str:
    """Compact JSON for messages."""
    return json.dumps(value, ensure_ascii=False)
