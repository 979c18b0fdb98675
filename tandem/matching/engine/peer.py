"""The `peer` objective: pairs (exact) and circles of 3-10 (value and upper bound).

A peer pair's score is the mean of its two directions (each peer read once as mentee, once as
mentor); a pair is allowed when the required rules hold in both directions, it is not forbidden
and its score is >= min_score.

Pairs: the most pairs, then the largest sum. Solved exactly with CP-SAT on each peer's best
allowed partners plus the support of the fractional optimum over *all* allowed pairs (a bipartite
double cover solved as a min-cost flow). The answer is proven optimal when CP-SAT proves it on
its pairs and either no pair was left out or the fractional optimum over all pairs (an upper
bound) is reached.

Circles: groups of at most `group_size` in which every pair is allowed; value = the sum of the
within-group pair scores. A greedy start improved by moves and swaps; the upper bound is
half the sum, over peers, of each peer's best (group_size - 1) allowed scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .explain import criterion_detail
from .flows import best_matching
from .problem import SCORE_SCALE, Problem
from .scoring import ScoringModel

KEEP = 16
RESULT_FORMAT = "tandem-matching-result/1"


def _peer_matrix(problem: Problem) -> tuple[np.ndarray, np.ndarray, ScoringModel | None]:
    """Pair weights in half-micro-points (sum of both directions) and allowed-ness, dense."""
    n = len(problem.mentees)
    index = {p.id: i for i, p in enumerate(problem.mentees)}
    model: ScoringModel | None = None
    if problem.scores is not None:
        weight = np.zeros((n, n), dtype=np.int64)
        allowed = np.zeros((n, n), dtype=bool)
        for a, b, s in problem.scores:
            i, j = index[a], index[b]
            value = int(np.floor(s * SCORE_SCALE + 0.5)) * 2
            weight[i, j] = weight[j, i] = value
            allowed[i, j] = allowed[j, i] = True
    else:
        model = ScoringModel(problem.mentees, problem.mentees, problem.criteria)
        score, ok = model.block(slice(None), slice(None))
        weight = (score + score.T).astype(np.int64)
        allowed = ok & ok.T
    allowed &= weight >= 2 * int(np.floor(problem.min_score * SCORE_SCALE + 0.5))
    np.fill_diagonal(allowed, False)
    for a, b in problem.forbidden:
        i, j = index[a], index[b]
        allowed[i, j] = allowed[j, i] = False
    return weight, allowed, model


def solve_peer(problem: Problem) -> dict[str, Any]:
    """Peer pairs or circles as a result document."""
    weight, allowed, model = _peer_matrix(problem)
    n = len(problem.mentees)
    index = {p.id: i for i, p in enumerate(problem.mentees)}
    pinned = [(index[a], index[b]) for a, b in problem.pinned]
    warnings: list[str] = []
    if problem.group_size == 2:
        groups, optimal, bound = _pairs(weight, allowed, pinned)
    else:
        groups, optimal, bound = _circles(weight, allowed, pinned, problem.group_size)
    stats: dict[str, Any] = {"participants": n, "allowed_pairs": int(allowed.sum() // 2)}
    pinned_set = {frozenset(p) for p in pinned}
    matches = []
    total = 0
    pair_scores: list[int] = []
    for group in groups:
        members = sorted(group)
        inside = [(a, b) for x, a in enumerate(members) for b in members[x + 1 :]]
        value = sum(int(weight[a, b]) for a, b in inside)
        total += value
        pair_scores.extend(int(weight[a, b]) for a, b in inside)
        entry: dict[str, Any] = {
            "peers": [problem.mentees[i].id for i in members],
            "score": round(value / 2 / SCORE_SCALE, 6),
        }
        if len(members) == 2:
            entry["reasons"] = _reasons(problem, model, members[0], members[1], weight)
            if frozenset(members) in pinned_set:
                entry["pinned"] = True
        matches.append(entry)
    matched_people = {i for group in groups for i in group}
    unmatched = []
    for i in range(n):
        if i in matched_people:
            continue
        count = int(allowed[i].sum())
        reason = (
            "no allowed peer"
            if count == 0
            else f"capacity taken by better uses ({count} allowed peer{'s' * (count != 1)}, "
            "all grouped)"
        )
        unmatched.append({"id": problem.mentees[i].id, "side": "participant", "reason": reason})
    stats["matched"] = len(groups)
    stats["total_score"] = round(total / 2 / SCORE_SCALE, 6)
    stats["min_score"] = round(min(pair_scores) / 2 / SCORE_SCALE, 6) if pair_scores else None
    if problem.group_size > 2:
        stats["value"] = stats["total_score"]
        stats["upper_bound"] = round(bound / 2 / SCORE_SCALE, 6)
    stats["optimal"] = bool(optimal)
    if not optimal and problem.group_size == 2:
        warnings.append("optimality of the peer pairs could not be proven")
    return {
        "format": RESULT_FORMAT,
        "objective": "peer",
        "group_size": problem.group_size,
        "matches": matches,
        "unmatched": unmatched,
        "stats": stats,
        "_warnings": warnings,
    }


def _reasons(
    problem: Problem, model: ScoringModel | None, a: int, b: int, weight: np.ndarray
) -> list[dict[str, Any]]:
    if model is None:
        return [
            {
                "criterion": "score",
                "value": round(int(weight[a, b]) / 2 / SCORE_SCALE, 6),
                "detail": "given in scores",
            }
        ]
    _, _, values, contributions = model.pairs(np.array([a, b]), np.array([b, a]))
    mean_values = values.mean(axis=0)
    mean_contributions = contributions.sum(axis=0)
    order = sorted(range(len(model.criteria)), key=lambda k: (-mean_contributions[k], k))
    people = problem.mentees
    entries = []
    for k in order:
        criterion = model.criteria[k]
        entries.append(
            {
                "criterion": criterion.name,
                "value": round(float(mean_values[k]), 6),
                "detail": criterion_detail(
                    criterion, people[a].value(criterion.mentee), people[b].value(criterion.mentor)
                ),
            }
        )
    return entries


def _pairs(
    weight: np.ndarray, allowed: np.ndarray, pinned: list[tuple[int, int]]
) -> tuple[list[tuple[int, ...]], bool, int]:
    n = len(weight)
    free = np.ones(n, dtype=bool)
    for a, b in pinned:
        free[a] = free[b] = False
    usable = allowed & free[:, None] & free[None, :]
    # Fractional optimum over all allowed pairs: a b-matching on the bipartite double cover.
    i_all, j_all = np.nonzero(usable)
    cover = best_matching(
        free.astype(np.int64), free.astype(np.int64), i_all, j_all, weight[i_all, j_all]
    )
    lp_pairs = int(cover.chosen.sum())  # twice the fractional cardinality
    lp_value = int(weight[i_all, j_all][cover.chosen].sum())  # twice the fractional weight
    # Candidate edges: each peer's best KEEP partners plus the fractional support.
    keep: set[tuple[int, int]] = set()
    for i in np.flatnonzero(free).tolist():
        row = np.flatnonzero(usable[i])
        if len(row) > KEEP:
            row = row[np.lexsort((row, -weight[i, row]))[:KEEP]]
        keep.update((min(i, j), max(i, j)) for j in row.tolist())
    keep.update(
        (min(i, j), max(i, j))
        for i, j in zip(i_all[cover.chosen].tolist(), j_all[cover.chosen].tolist(), strict=True)
    )
    edges = sorted(keep)
    everything = len(edges) == int(usable.sum()) // 2
    chosen, proven, count, value = _exact_pairs(n, edges, weight, lp_pairs, lp_value)
    # Proof: CP-SAT proved it on its edges, and those were all edges or the LP bound is met.
    optimal = proven and (everything or (2 * count == lp_pairs and 2 * value == lp_value))
    groups: list[tuple[int, ...]] = [tuple(sorted(p)) for p in pinned]
    groups += [tuple(edge) for edge in chosen]
    groups.sort()
    return groups, optimal, 0


def _exact_pairs(
    n: int, edges: list[tuple[int, int]], weight: np.ndarray, lp_pairs: int, lp_value: int
) -> tuple[list[tuple[int, int]], bool, int, int]:
    if not edges:
        return [], True, 0, 0
    from ortools.sat.python import cp_model  # imported here: it is slow to load (pandas)

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"e{k}") for k in range(len(edges))]
    incident: list[list[int]] = [[] for _ in range(n)]
    for k, (a, b) in enumerate(edges):
        incident[a].append(k)
        incident[b].append(k)
    for links in incident:
        if len(links) > 1:
            model.add_at_most_one(x[k] for k in links)
    weights = [int(weight[a, b]) for a, b in edges]
    spread = max(abs(w) for w in weights) + 1
    bonus = spread * (n // 2 + 1)
    model.maximize(sum((bonus + w) * var for w, var in zip(weights, x, strict=True)))
    # The fractional optimum bounds the integral one.
    model.add(sum(x) <= lp_pairs // 2)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60.0
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return [], False, 0, 0
    chosen = [edges[k] for k in range(len(edges)) if solver.value(x[k])]
    value = sum(int(weight[a, b]) for a, b in chosen)
    return chosen, status == cp_model.OPTIMAL, len(chosen), value


def _circles(
    weight: np.ndarray, allowed: np.ndarray, pinned: list[tuple[int, int]], size: int
) -> tuple[list[tuple[int, ...]], bool, int]:
    n = len(weight)
    gain = np.where(allowed, weight, 0)
    # Upper bound: each peer's best (size - 1) allowed pair weights, halved (pairs count twice).
    best = -np.sort(-np.where(allowed, weight, 0), axis=1)[:, : size - 1]
    bound = int(np.maximum(best, 0).sum()) // 2
    group_of = np.full(n, -1, dtype=np.int64)
    groups: list[list[int]] = []
    # Pins: pinned peers share a group (merged through chains of pins).
    for a, b in pinned:
        ga, gb = group_of[a], group_of[b]
        if ga < 0 and gb < 0:
            groups.append([a, b])
            group_of[a] = group_of[b] = len(groups) - 1
        elif ga >= 0 and gb < 0:
            groups[ga].append(b)
            group_of[b] = ga
        elif gb >= 0 and ga < 0:
            groups[gb].append(a)
            group_of[a] = gb
        elif ga != gb:
            groups[ga].extend(groups[gb])
            for p in groups[gb]:
                group_of[p] = ga
            groups[gb] = []
    locked = {p for a, b in pinned for p in (a, b)}
    # Greedy: seed with the strongest remaining pair, then add the best compatible peer.
    order = np.argsort(-gain, axis=None, kind="stable")
    for flat in order.tolist():
        a, b = divmod(flat, n)
        if a >= b or not allowed[a, b] or group_of[a] >= 0 or group_of[b] >= 0:
            continue
        if gain[a, b] <= 0 and weight[a, b] < 0:
            break
        members = [a, b]
        while len(members) < size:
            fits = np.all(allowed[members], axis=0) & (group_of < 0)
            fits[members] = False
            if not fits.any():
                break
            score = gain[members].sum(axis=0)
            score[~fits] = np.iinfo(np.int64).min
            pick = int(np.argmax(score))
            if score[pick] < 0:
                break
            members.append(pick)
        groups.append(members)
        for p in members:
            group_of[p] = len(groups) - 1
    # Improvement: move a peer to another group when it raises the value (bounded passes).
    for _ in range(5):
        improved = False
        for p in range(n):
            if p in locked:
                continue
            g = group_of[p]
            current = int(gain[p, groups[g]].sum()) if g >= 0 else 0
            best_gain, best_group = 0, -1
            for h, members in enumerate(groups):
                if h == g or not members or len(members) >= size:
                    continue
                if not all(allowed[p, q] for q in members):
                    continue
                value = int(gain[p, members].sum())
                if value - current > best_gain:
                    best_gain, best_group = value - current, h
            if best_group >= 0:
                if g >= 0:
                    groups[g].remove(p)
                groups[best_group].append(p)
                group_of[p] = best_group
                improved = True
        if not improved:
            break
    final = sorted(tuple(sorted(g)) for g in groups if len(g) >= 2)
    value = sum(int(weight[a, b]) for g in final for x, a in enumerate(g) for b in g[x + 1 :])
    return final, value == bound, bound
