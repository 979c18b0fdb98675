"""The `stable` objective: mentee-proposing deferred acceptance (Gale–Shapley).

Runs in O(total length of the lists actually walked). Mentees' lists are produced lazily: the scan
gives each mentee's best allowed mentors in order, and mentees who run out of them get their whole
rows scored and ranked, in batches (the mentee-optimal stable matching does not depend on the order
of proposals, so exhausted mentees can wait until nobody else has a proposal to make).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class StableInput:
    """Ranked lists and the mentors' view of each proposal."""

    mentee_capacity: np.ndarray  # 0 or 1 after pins
    mentor_capacity: np.ndarray
    first_lists: list[np.ndarray]  # per mentee: mentors, best first (a certain prefix)
    first_keys: list[np.ndarray]  # per proposal: the mentor's key for the mentee (bigger = better)
    complete: list[bool]  # whether first_lists[i] is the whole list
    # whole ranked lists (mentors, keys) of a batch of mentees
    full_lists: Callable[[list[int]], list[tuple[np.ndarray, np.ndarray]]]


def deferred_acceptance(data: StableInput) -> list[tuple[int, int]]:
    """Mentee-optimal stable matching as (mentee, mentor) pairs.

    Proposals are made in rounds, vectorized: every free mentee proposes to the next mentor on
    their list; each mentor who received proposals keeps the best of what it held and what it
    got, up to its capacity, and the rest are free again. Mentees' capacities are 0 or 1.
    """
    n = len(data.first_lists)
    capacity = data.mentor_capacity.astype(np.int64)
    lengths = np.array([len(x) for x in data.first_lists], dtype=np.int64)
    flat_mentor = [np.concatenate([np.zeros(0, dtype=np.int64), *data.first_lists])]
    flat_key = [np.concatenate([np.zeros(0, dtype=np.int64), *data.first_keys])]
    start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    size = int(lengths.sum())
    mentors = flat_mentor[0]
    keys = flat_key[0]
    complete = np.array(data.complete, dtype=bool)
    position = np.zeros(n, dtype=np.int64)
    held_mentee = np.zeros(0, dtype=np.int64)
    held_mentor = np.zeros(0, dtype=np.int64)
    held_key = np.zeros(0, dtype=np.int64)
    free = np.flatnonzero(data.mentee_capacity > 0)
    waiting = np.zeros(0, dtype=np.int64)
    touched = np.zeros(len(capacity), dtype=bool)
    while len(free) or len(waiting):
        if len(free) == 0:
            batch = waiting.tolist()
            waiting = np.zeros(0, dtype=np.int64)
            new_mentor, new_key = [], []
            for mentee, (whole, ranks) in zip(batch, data.full_lists(batch), strict=True):
                done = mentors[start[mentee] : start[mentee] + position[mentee]]
                fresh = ~np.isin(whole, done)
                new_mentor.append(whole[fresh])
                new_key.append(ranks[fresh])
            added = np.array([len(x) for x in new_mentor], dtype=np.int64)
            batch_array = np.array(batch, dtype=np.int64)
            start[batch_array] = size + np.concatenate([[0], np.cumsum(added)[:-1]])
            lengths[batch_array] = added
            position[batch_array] = 0
            complete[batch_array] = True
            size += int(added.sum())
            mentors = np.concatenate([mentors, *new_mentor])
            keys = np.concatenate([keys, *new_key])
            free = batch_array
            continue
        out = position[free] >= lengths[free]
        if out.any():
            gone = free[out]
            waiting = np.concatenate([waiting, gone[~complete[gone]]])
            free = free[~out]
            if len(free) == 0:
                continue
        at = start[free] + position[free]
        position[free] += 1
        target = mentors[at]
        key = keys[at]
        open_ = capacity[target] > 0
        bounced = free[~open_]
        free, target, key = free[open_], target[open_], key[open_]
        touched[:] = False
        touched[target] = True
        keep_old = ~touched[held_mentor]
        contest_mentee = np.concatenate([held_mentee[~keep_old], free])
        contest_mentor = np.concatenate([held_mentor[~keep_old], target])
        contest_key = np.concatenate([held_key[~keep_old], key])
        order = np.lexsort((-contest_key, contest_mentor))
        contest_mentee = contest_mentee[order]
        contest_mentor = contest_mentor[order]
        contest_key = contest_key[order]
        first = np.searchsorted(contest_mentor, contest_mentor, side="left")
        rank = np.arange(len(contest_mentor)) - first
        wins = rank < capacity[contest_mentor]
        held_mentee = np.concatenate([held_mentee[keep_old], contest_mentee[wins]])
        held_mentor = np.concatenate([held_mentor[keep_old], contest_mentor[wins]])
        held_key = np.concatenate([held_key[keep_old], contest_key[wins]])
        free = np.concatenate([bounced, contest_mentee[~wins]])
    _ = flat_mentor, flat_key
    pairs = sorted(zip(held_mentee.tolist(), held_mentor.tolist(), strict=True))
    return pairs
