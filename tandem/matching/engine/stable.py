"""The `stable` objective: mentee-proposing deferred acceptance (Gale–Shapley).

Runs in O(total length of the lists actually walked). Mentees' lists are produced lazily: the scan
gives each mentee's best allowed mentors in order, and a mentee who runs out of them gets their
whole row scored and ranked. The result is the unique mentee-optimal stable matching.
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
    complete: list[bool]  # whether first_lists[i] is the whole list
    full_list: Callable[[int], np.ndarray]  # the whole ranked list of mentee i
    mentor_key: Callable[[int, int], tuple[float, float]]  # bigger = mentor j likes i more


def deferred_acceptance(data: StableInput) -> list[tuple[int, int]]:
    """Mentee-optimal stable matching as (mentee, mentor) pairs."""
    lists = list(data.first_lists)
    complete = list(data.complete)
    position = [0] * len(lists)
    held: list[list[tuple[tuple[float, float], int]]] = [[] for _ in data.mentor_capacity]
    free = deque(i for i in range(len(lists)) if data.mentee_capacity[i] > 0)
    while free:
        mentee = free.popleft()
        if position[mentee] >= len(lists[mentee]):
            if complete[mentee]:
                continue
            already = set(lists[mentee][: position[mentee]].tolist())
            whole = data.full_list(mentee)
            lists[mentee] = np.array(
                list(lists[mentee][: position[mentee]])
                + [j for j in whole.tolist() if j not in already],
                dtype=np.int64,
            )
            complete[mentee] = True
            if position[mentee] >= len(lists[mentee]):
                continue
        mentor = int(lists[mentee][position[mentee]])
        position[mentee] += 1
        capacity = int(data.mentor_capacity[mentor])
        if capacity <= 0:
            free.append(mentee)
            continue
        key = data.mentor_key(mentee, mentor)
        queue = held[mentor]
        if len(queue) < capacity:
            heapq.heappush(queue, (key, mentee))
        elif queue[0][0] < key:
            _, rejected = heapq.heapreplace(queue, (key, mentee))
            free.append(rejected)
        else:
            free.append(mentee)
    pairs = [(mentee, mentor) for mentor, queue in enumerate(held) for _, mentee in queue]
    pairs.sort()
    return pairs
