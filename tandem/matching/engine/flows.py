"""Exact bipartite b-matching on a candidate arc set, with a dual certificate.

`best_matching` finds the matching with the most pairs and then the largest sum (OR-Tools min-cost
max-flow), and returns node potentials: shortest-path distances in the residual graph, in which a
return arc sink -> source costs -BONUS. Any arc i -> j left out of the candidate set whose score
w satisfies ``w <= pot_mentee[i] + pot_mentor[j]`` could not improve the answer (its reduced cost is
non-negative), which is how pruned pairs are certified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow


class SolverFailure(RuntimeError):
    """The flow solver reported something other than an optimum (a bug, not bad input)."""


@dataclass
class FlowAnswer:
    """Which candidate arcs are used, and the certificate's potentials."""

    chosen: np.ndarray  # bool per arc
    pot_mentee: np.ndarray  # int64, a_i
    pot_mentor: np.ndarray  # int64, b_j ; pruned (i, j, w) is harmless iff w <= a_i + b_j


def best_matching(
    mentee_capacity: np.ndarray,
    mentor_capacity: np.ndarray,
    arc_mentee: np.ndarray,
    arc_mentor: np.ndarray,
    arc_score: np.ndarray,
) -> FlowAnswer:
    """Most pairs, then the largest total score; each arc used at most once."""
    n = len(mentee_capacity)
    m = len(mentor_capacity)
    source, sink = n + m, n + m + 1
    arcs = len(arc_mentee)
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([np.full(n, source), arc_mentee, n + np.arange(m)]).astype(np.int32)
    heads = np.concatenate([np.arange(n), n + arc_mentor, np.full(m, sink)]).astype(np.int32)
    capacities = np.concatenate(
        [mentee_capacity, np.ones(arcs, dtype=np.int64), mentor_capacity]
    ).astype(np.int64)
    costs = np.concatenate(
        [np.zeros(n, dtype=np.int64), -arc_score.astype(np.int64), np.zeros(m, dtype=np.int64)]
    )
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    del tails, heads, capacities, costs  # copied by the solver (peak memory)
    total = int(min(mentee_capacity.sum(), mentor_capacity.sum()))
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverFailure(f"min-cost flow ended with status {status}")
    flows = np.asarray(flow.flows(np.arange(n + arcs + m, dtype=np.int32)))
    del flow  # the solver's graph is freed before the residual graph is built (peak memory)
    chosen = flows[n : n + arcs] > 0
    source_flow = flows[:n]
    sink_flow = flows[n + arcs :]
    matched = int(source_flow.sum())
    spread = int(np.abs(arc_score).max()) if arcs else 0
    bonus = (min(n, m, total) + 2) * (2 * spread + 1) + 1
    # Residual graph of the circulation (with sink -> source at cost -bonus).
    r_tail = [
        np.full(n, source)[source_flow < mentee_capacity],
        np.arange(n)[source_flow > 0],
        arc_mentee[~chosen],
        n + arc_mentor[chosen],
        (n + np.arange(m))[sink_flow < mentor_capacity],
        np.full(m, sink)[sink_flow > 0],
        np.array([sink]),
        np.array([source] if matched > 0 else [], dtype=np.int64),
    ]
    r_head = [
        np.arange(n)[source_flow < mentee_capacity],
        np.full(n, source)[source_flow > 0],
        n + arc_mentor[~chosen],
        arc_mentee[chosen],
        np.full(m, sink)[sink_flow < mentor_capacity],
        (n + np.arange(m))[sink_flow > 0],
        np.array([source]),
        np.array([sink] if matched > 0 else [], dtype=np.int64),
    ]
    r_cost = [
        np.zeros(int((source_flow < mentee_capacity).sum()), dtype=np.int64),
        np.zeros(int((source_flow > 0).sum()), dtype=np.int64),
        -arc_score[~chosen].astype(np.int64),
        arc_score[chosen].astype(np.int64),
        np.zeros(int((sink_flow < mentor_capacity).sum()), dtype=np.int64),
        np.zeros(int((sink_flow > 0).sum()), dtype=np.int64),
        np.array([-bonus], dtype=np.int64),
        np.array([bonus] if matched > 0 else [], dtype=np.int64),
    ]
    distance = _shortest_distances(
        n + m + 2,
        np.concatenate(r_tail).astype(np.int64),
        np.concatenate(r_head).astype(np.int64),
        np.concatenate(r_cost),
    )
    return FlowAnswer(chosen=chosen, pot_mentee=distance[:n], pot_mentor=-distance[n : n + m])


def _shortest_distances(
    nodes: int, tail: np.ndarray, head: np.ndarray, cost: np.ndarray
) -> np.ndarray:
    """Bellman-Ford from a virtual root joined to every node at cost 0 (frontier rounds)."""
    order = np.argsort(tail, kind="stable")
    tail, head, cost = tail[order], head[order], cost[order]
    starts = np.searchsorted(tail, np.arange(nodes + 1))
    distance = np.zeros(nodes, dtype=np.int64)
    frontier = np.arange(nodes)
    for _ in range(nodes + 2):
        if len(frontier) == 0:
            return distance
        lengths = starts[frontier + 1] - starts[frontier]
        total = int(lengths.sum())
        if total == 0:
            return distance
        offsets = np.repeat(starts[frontier] - np.cumsum(lengths) + lengths, lengths) + np.arange(
            total
        )
        candidate = distance[tail[offsets]] + cost[offsets]
        targets = head[offsets]
        improved = candidate < distance[targets]
        if not improved.any():
            return distance
        targets = targets[improved]
        candidate = candidate[improved]
        before = distance.copy()
        np.minimum.at(distance, targets, candidate)
        frontier = np.flatnonzero(distance < before)
    raise SolverFailure("negative cycle in the residual graph: the flow is not optimal")


def max_pairs(
    mentee_capacity: np.ndarray,
    mentor_capacity: np.ndarray,
    arc_mentee: np.ndarray,
    arc_mentor: np.ndarray,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Maximum number of pairs and the source side of a minimum cut (mentees, mentors).

    A pair arc left out of the arc set can only raise the maximum if it runs from a source-side
    mentee to a sink-side mentor (it would cross the cut).
    """
    n = len(mentee_capacity)
    m = len(mentor_capacity)
    source, sink = n + m, n + m + 1
    solver = max_flow.SimpleMaxFlow()
    tails = np.concatenate([np.full(n, source), arc_mentee, n + np.arange(m)]).astype(np.int32)
    heads = np.concatenate([np.arange(n), n + arc_mentor, np.full(m, sink)]).astype(np.int32)
    capacities = np.concatenate(
        [mentee_capacity, np.ones(len(arc_mentee), dtype=np.int64), mentor_capacity]
    ).astype(np.int64)
    solver.add_arcs_with_capacity(tails, heads, capacities)
    status = solver.solve(source, sink)
    if status != solver.OPTIMAL:
        raise SolverFailure(f"max flow ended with status {status}")
    reachable = np.zeros(n + m + 2, dtype=bool)
    reachable[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
    return int(solver.optimal_flow()), reachable[:n], reachable[n : n + m]
