"""The `stable` objective: mentee-proposing deferred acceptance (Gale–Shapley).

Mentees' lists are produced lazily: the scan gives each mentee's best allowed mentors in order,
and mentees who run out of them get their whole rows scored and ranked, in batches (the
mentee-optimal stable matching does not depend on the order of proposals, so exhausted mentees
can wait until nobody else has a proposal to make).
"""

from __future__ import annotations

import heapq
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
    # Whole ranked lists (mentors, keys) of a batch of mentees, given each mentor's bar (a key
    # at or below it is refused, now and later): proposals below the bar may be left out.
    full_lists: Callable[[list[int], np.ndarray], list[tuple[np.ndarray, np.ndarray]]]


def deferred_acceptance(data: StableInput) -> list[tuple[int, int]]:
    """Mentee-optimal stable matching as (mentee, mentor) pairs.

    One proposal at a time: a free mentee proposes to the next mentor on their list; the mentor
    keeps the best proposals up to its capacity (a heap of keys, worst on top) and the one it lets
    go is free again. Keys are distinct for a mentor (ties are broken by id), so the matching is
    the unique mentee-optimal one whatever the order of proposals. Mentees' capacities are 0 or 1.

    A mentor's bar (the worst key it holds when full; none while it has room) only rises, so a
    proposal below the bar is refused and changes nothing. Mentees on a whole ranked list (those
    who ran out of their certain prefix, typically the ones left unmatched) skip straight to the
    first mentor whose bar they clear, found with one array comparison, instead of proposing to
    a thousand mentors in turn; the answer is the same.
    """
    n = len(data.first_lists)
    capacity = data.mentor_capacity.astype(np.int64)
    # The bar: a proposal is held iff its key is above it (never, without capacity).
    bar = np.where(capacity > 0, _LOWEST, _HIGHEST).astype(np.int64)
    bar_list = bar.tolist()
    capacity_list = capacity.tolist()
    lists: list[list[int]] = [x.tolist() for x in data.first_lists]
    keys: list[list[int]] = [x.tolist() for x in data.first_keys]
    whole: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # mentees on a whole ranked list
    complete = list(data.complete)
    position = [0] * n
    held: list[list[tuple[int, int]]] = [[] for _ in capacity_list]  # per mentor: (key, mentee)
    # Proposals start from the last mentee (a stack); the order does not change the answer.
    free = np.flatnonzero(data.mentee_capacity > 0).tolist()[::-1]
    waiting: list[int] = []
    push, replace = heapq.heappush, heapq.heapreplace
    while free or waiting:
        if not free:
            # Mentees past their certain prefix get their whole ranked lists and start over.
            # The mentors they already proposed to refused them or let them go for better, so
            # each one's bar is at or above their key now: the skip below passes them by.
            batch, waiting = waiting, []
            for mentee, ranked in zip(batch, data.full_lists(batch, bar), strict=True):
                whole[mentee] = ranked
                position[mentee] = 0
                complete[mentee] = True
            free = batch[::-1]
            continue
        mentee = free.pop()
        at = position[mentee]
        if mentee in whole:
            mentors, ranks = whole[mentee]
            clear = np.flatnonzero(ranks[at:] > bar[mentors[at:]])
            if len(clear) == 0:
                position[mentee] = len(mentors)
                continue  # refused everywhere: unmatched
            at += int(clear[0])
            mentor, key = int(mentors[at]), int(ranks[at])
        elif at < len(lists[mentee]):
            mentor, key = lists[mentee][at], keys[mentee][at]
        else:
            if not complete[mentee]:
                waiting.append(mentee)
            continue
        position[mentee] = at + 1
        if key <= bar_list[mentor]:
            free.append(mentee)
            continue
        heap = held[mentor]
        if len(heap) < capacity_list[mentor]:
            push(heap, (key, mentee))
        else:
            free.append(replace(heap, (key, mentee))[1])
        if len(heap) == capacity_list[mentor]:
            bar_list[mentor] = bar[mentor] = heap[0][0]
    return sorted((mentee, mentor) for mentor, heap in enumerate(held) for _, mentee in heap)


_LOWEST = np.iinfo(np.int64).min
_HIGHEST = np.iinfo(np.int64).max
