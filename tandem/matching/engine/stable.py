"""The `stable` objective: mentee-proposing deferred acceptance (Gale–Shapley).

Runs in O(total length of the lists actually walked). Mentees' lists are produced lazily: the scan
gives each mentee's best allowed mentors in order, and mentees who run out of them get their whole
rows scored and ranked, in batches (the mentee-optimal stable matching does not depend on the order
of proposals, so exhausted mentees can wait until nobody else has a proposal to make).
"""

from __future__ import annotations

import heapq
from collections import deque
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
    """Mentee-optimal stable matching as (mentee, mentor) pairs."""
    lists: list[list[int]] = [x.tolist() for x in data.first_lists]
    keys: list[list[int]] = [x.tolist() for x in data.first_keys]
    complete = list(data.complete)
    position = [0] * len(lists)
    capacity = data.mentor_capacity.tolist()
    held: list[list[tuple[int, int]]] = [[] for _ in capacity]
    free = deque(i for i in range(len(lists)) if data.mentee_capacity[i] > 0)
    waiting: list[int] = []
    while free or waiting:
        if not free:
            batch, waiting = waiting, []
            for mentee, (mentors, ranks) in zip(batch, data.full_lists(batch), strict=True):
                done = position[mentee]
                already = set(lists[mentee][:done])
                more = [
                    (j, k)
                    for j, k in zip(mentors.tolist(), ranks.tolist(), strict=True)
                    if j not in already
                ]
                lists[mentee] = lists[mentee][:done] + [j for j, _ in more]
                keys[mentee] = keys[mentee][:done] + [k for _, k in more]
                complete[mentee] = True
                free.append(mentee)
            continue
        mentee = free.popleft()
        at = position[mentee]
        if at >= len(lists[mentee]):
            if not complete[mentee]:
                waiting.append(mentee)
            continue
        mentor = lists[mentee][at]
        key = keys[mentee][at]
        position[mentee] = at + 1
        room = capacity[mentor]
        if room <= 0:
            free.append(mentee)
            continue
        queue = held[mentor]
        if len(queue) < room:
            heapq.heappush(queue, (key, mentee))
        elif queue[0][0] < key:
            _, rejected = heapq.heapreplace(queue, (key, mentee))
            free.append(rejected)
        else:
            free.append(mentee)
    pairs = [(mentee, mentor) for mentor, queue in enumerate(held) for _, mentee in queue]
    pairs.sort()
    return pairs
