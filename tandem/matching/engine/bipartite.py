"""The `total` and `fair` objectives: exact over all allowed pairs, with pruning certified.

1. Scan: keep every mentee's and mentor's top-k allowed pairs (candidates.py).
2. `total`: min-cost max-flow on the candidates; the residual-graph potentials are an LP dual
   solution; every pruned pair must have a non-negative reduced cost (score <= a_i + b_j). Rows
   whose bounds cannot show it are rescanned exactly; violators join the candidates; re-solve.
3. `fair`: the most pairs k (as in `total`); then the bottleneck: the largest threshold t such
   that pairs scoring >= t still allow k pairs (binary search, max-flow feasibility), certified by
   a minimum cut that no pruned pair above t crosses; then `total` restricted to pairs >= t.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candidates import Candidates, PairSource, sorted_member
from .flows import best_matching, max_pairs

KEEP = 20  # candidates per person and side; the certificate adds any other pair that matters
# When a round finds violators, pairs within this many micro-points of violating join as well,
# which saves most later rounds (each round is a full min-cost flow).
MARGIN = 5_000.0
# Candidates within this much of their reduced-cost bound stay in later rounds' flows; the rest
# wait outside (certified with their exact scores, and brought back if they violate). 30,000
# rather than 50,000: at 50k the later flows have 210,000 arcs instead of 380,000 (0.7 instead of
# 0.9 s each) in the same three rounds; 20,000 took a fourth round.
ACTIVE_SLACK = 30_000.0


@dataclass
class BipartiteAnswer:
    """Chosen non-pinned pairs and what the solver could prove."""

    mentee: np.ndarray
    mentor: np.ndarray
    score: np.ndarray
    optimal: bool
    candidates: Candidates
    rounds: int


def _restricted(candidates: Candidates, floor: float) -> np.ndarray:
    return candidates.score >= floor


def _certified_best(
    source: PairSource,
    candidates: Candidates,
    mentee_capacity: np.ndarray,
    mentor_capacity: np.ndarray,
    floor: float,
    max_rounds: int = 50,
) -> tuple[np.ndarray, bool, int]:
    """Best matching over all allowed pairs scoring >= floor: (chosen mask, proven, rounds).

    After the first round, the flow is solved on the *active* candidates only: the matched ones,
    those within ACTIVE_SLACK of their reduced-cost bound, and any that join. The others are
    certified like pruned pairs (their exact scores are known), and activated if they violate.
    """
    rounds = 0
    active_keys: np.ndarray | None = None  # None: every candidate
    while True:
        rounds += 1
        use = _restricted(candidates, floor)
        eligible = use.copy()
        if active_keys is not None:
            use &= sorted_member(candidates.keys, active_keys)
        index = np.flatnonzero(use)
        answer = best_matching(
            mentee_capacity,
            mentor_capacity,
            candidates.mentee[index],
            candidates.mentor[index],
            candidates.score[index],
        )
        chosen = np.zeros(len(candidates.score), dtype=bool)
        chosen[index[answer.chosen]] = True
        a = answer.pot_mentee.astype(np.float64)
        b = answer.pot_mentor.astype(np.float64)
        # Certificate: every pruned pair must have a non-negative reduced cost, w <= a_i + b_j.
        # The suspects are the pairs whose score bounds cannot show it; they are scored exactly
        # and the violators join the candidates.
        a = np.where(mentee_capacity > 0, a, np.inf)
        reduced = a[candidates.mentee] + b[candidates.mentor] - candidates.score
        # Inactive candidates that violate join the flow (they are not a proof).
        waiting = eligible & ~use & (reduced < 0)
        before = candidates.keys
        keep = chosen | (use & (reduced <= ACTIVE_SLACK)) | waiting
        active = candidates.keys[keep]
        # Pairs within MARGIN of violating join too: the next duals would likely flag them.
        violators = source.add_violators(candidates, a, b, floor, margin=MARGIN)
        if violators == 0 and not waiting.any():
            return chosen, True, rounds
        if rounds >= max_rounds:
            return chosen, False, rounds
        # Pairs that joined are active; so is everything if the flow lost pairs (rare).
        joined = candidates.keys[~sorted_member(candidates.keys, before)]
        active_keys = np.union1d(active, joined)


def solve_total(
    source: PairSource,
    mentee_capacity: np.ndarray,
    mentor_capacity: np.ndarray,
    keep: int | None = None,
) -> BipartiteAnswer:
    """Most pairs, then the largest sum of scores."""
    candidates = source.scan(KEEP if keep is None else keep)
    chosen, proven, rounds = _certified_best(
        source, candidates, mentee_capacity, mentor_capacity, -np.inf
    )
    return BipartiteAnswer(
        mentee=candidates.mentee[chosen],
        mentor=candidates.mentor[chosen],
        score=candidates.score[chosen],
        optimal=proven,
        candidates=candidates,
        rounds=rounds,
    )


def solve_fair(
    source: PairSource,
    mentee_capacity: np.ndarray,
    mentor_capacity: np.ndarray,
    keep: int | None = None,
) -> BipartiteAnswer:
    """Most pairs; then the largest minimum score; then the largest sum."""
    first = solve_total(source, mentee_capacity, mentor_capacity, keep)
    candidates = first.candidates
    size = len(first.score)
    if size == 0:
        return first
    proven = first.optimal
    rounds = first.rounds
    while True:
        rounds += 1
        threshold = _bottleneck(
            candidates, mentee_capacity, mentor_capacity, size, int(first.score.min())
        )
        # Certify: with pairs scoring > threshold only, fewer than `size` pairs fit. The min cut
        # found on the candidates stays a cut unless a pruned pair above threshold crosses it.
        above = candidates.score > threshold
        _, mentee_side, mentor_side = max_pairs(
            mentee_capacity, mentor_capacity, candidates.mentee[above], candidates.mentor[above]
        )
        row_level = np.where(mentee_side & (mentee_capacity > 0), float(threshold), np.inf)
        col_level = np.where(mentor_side, np.inf, 0.0)
        if source.add_violators(candidates, row_level, col_level) == 0:
            break
        if rounds > 50:
            proven = False
            break
    chosen, proven_sum, more = _certified_best(
        source, candidates, mentee_capacity, mentor_capacity, float(threshold)
    )
    return BipartiteAnswer(
        mentee=candidates.mentee[chosen],
        mentor=candidates.mentor[chosen],
        score=candidates.score[chosen],
        optimal=proven and proven_sum,
        candidates=candidates,
        rounds=rounds + more,
    )


def _bottleneck(
    candidates: Candidates,
    mentee_capacity: np.ndarray,
    mentor_capacity: np.ndarray,
    size: int,
    known_feasible: int,
) -> float:
    """Largest candidate score t such that candidate pairs scoring >= t still give `size` pairs."""
    values = np.unique(candidates.score[candidates.score >= known_feasible])
    low, high = 0, len(values) - 1  # values[low] is feasible
    while low < high:
        middle = (low + high + 1) // 2
        use = candidates.score >= values[middle]
        count, _, _ = max_pairs(
            mentee_capacity, mentor_capacity, candidates.mentee[use], candidates.mentor[use]
        )
        if count >= size:
            low = middle
        else:
            high = middle - 1
    return float(values[low])
