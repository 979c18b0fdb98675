"""Where a problem's allowed pairs come from: a full scan in blocks, keeping the best candidates.

The scan keeps each mentee's top k and each mentor's top k allowed pairs, and for every mentee
and mentor an upper bound on the score of any allowed pair it did *not* keep. The solvers use
those bounds to prove that the pruned pairs cannot change the answer, and `rescan` to fetch the
pairs of the few rows where the bounds are not enough.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .scoring import ScoringModel

BLOCK_CELLS = 2_000_000
NEG = -np.inf


@dataclass
class Candidates:
    """Kept pairs and the bounds on everything else."""

    mentee: np.ndarray  # int64
    mentor: np.ndarray  # int64
    score: np.ndarray  # int64 micro-points
    row_bound: np.ndarray  # float64 per mentee: max score of an allowed, usable, pruned pair
    col_bound: np.ndarray  # float64 per mentor
    allowed_per_mentee: np.ndarray
    allowed_per_mentor: np.ndarray
    allowed_pairs: int
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def add(self, mentee: np.ndarray, mentor: np.ndarray, score: np.ndarray, width: int) -> None:
        """Add pairs (assumed new) and keep the arrays in a deterministic order."""
        self.mentee = np.concatenate([self.mentee, mentee])
        self.mentor = np.concatenate([self.mentor, mentor])
        self.score = np.concatenate([self.score, score])
        self.sort(width)

    def sort(self, width: int) -> None:
        """Sort by (mentee, mentor) and refresh the membership keys."""
        keys = self.mentee * width + self.mentor
        order = np.argsort(keys, kind="stable")
        self.mentee, self.mentor, self.score = (
            self.mentee[order],
            self.mentor[order],
            self.score[order],
        )
        self.keys = keys[order]


@dataclass
class Context:
    """What the scan needs besides scores: capacities left, excluded pairs, the score floor."""

    n_mentees: int
    n_mentors: int
    mentee_usable: np.ndarray  # bool: capacity left after pins
    mentor_usable: np.ndarray
    forbidden_keys: np.ndarray  # sorted int64 keys mentee * n_mentors + mentor
    pinned_keys: np.ndarray  # sorted int64 keys
    min_score: float  # micro-points


class PairSource:
    """Scores of allowed pairs, from criteria (scanned) or from an explicit list."""

    def __init__(
        self,
        context: Context,
        model: ScoringModel | None = None,
        explicit: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.context = context
        self.model = model
        self.explicit = explicit

    # -- blocks ------------------------------------------------------------------------------
    def block(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scores and allowed-ness (required rules, not forbidden, >= min_score) for rows x all."""
        ctx = self.context
        assert self.model is not None
        score, ok = self.model.block(rows, slice(None))
        ok &= score >= ctx.min_score
        self._clear(ok, rows, ctx.forbidden_keys)
        return score, ok

    def _clear(self, mask: np.ndarray, rows: np.ndarray, keys: np.ndarray) -> None:
        m = self.context.n_mentors
        if len(keys) == 0 or len(rows) == 0:
            return
        low = np.searchsorted(keys, int(rows.min()) * m)
        high = np.searchsorted(keys, (int(rows.max()) + 1) * m)
        hits = keys[low:high]
        if len(hits) == 0:
            return
        position = {int(r): p for p, r in enumerate(rows.tolist())}
        for key in hits.tolist():
            p = position.get(key // m)
            if p is not None:
                mask[p, key % m] = False

    # -- the scan ----------------------------------------------------------------------------
    def scan(self, keep: int) -> Candidates:
        """Keep each usable mentee's and mentor's top `keep` allowed pairs, with bounds."""
        ctx = self.context
        n, m = ctx.n_mentees, ctx.n_mentors
        if self.explicit is not None:
            return self._explicit_candidates()
        per_mentee = np.zeros(n, dtype=np.int64)
        per_mentor = np.zeros(m, dtype=np.int64)
        row_bound = np.full(n, NEG)
        col_values = np.full((keep + 1, m), NEG)
        col_rows = np.full((keep + 1, m), -1, dtype=np.int64)
        kept_i: list[np.ndarray] = []
        kept_j: list[np.ndarray] = []
        kept_s: list[np.ndarray] = []
        step = max(1, BLOCK_CELLS // max(m, 1))
        for start in range(0, n, step):
            rows = np.arange(start, min(n, start + step))
            score, allowed = self.block(rows)
            per_mentee[rows] = allowed.sum(axis=1)
            per_mentor += allowed.sum(axis=0)
            usable = allowed & ctx.mentee_usable[rows][:, None] & ctx.mentor_usable[None, :]
            self._clear(usable, rows, ctx.pinned_keys)
            values = np.where(usable, score, NEG)
            # Each mentee's top `keep`, and the best score it leaves out.
            if m > keep:
                part = np.argpartition(values, m - keep - 1, axis=1)
                top = part[:, m - keep :]
                row_bound[rows] = np.take_along_axis(values, part[:, m - keep - 1 : m - keep], 1)[
                    :, 0
                ]
            else:
                top = np.broadcast_to(np.arange(m), (len(rows), m))
            top_values = np.take_along_axis(values, top, 1)
            good = top_values > NEG
            kept_i.append(np.broadcast_to(rows[:, None], top.shape)[good])
            kept_j.append(top[good])
            kept_s.append(top_values[good])
            # Each mentor's top `keep` (+1 for the bound), merged across blocks.
            if len(rows) > keep + 1:
                part0 = np.argpartition(values, len(rows) - keep - 1, axis=0)[
                    len(rows) - keep - 1 :
                ]
                block_values = np.take_along_axis(values, part0, 0)
                block_rows = rows[part0]
            else:
                block_values = values
                block_rows = np.broadcast_to(rows[:, None], values.shape)
            merged_values = np.vstack([col_values, block_values])
            merged_rows = np.vstack([col_rows, block_rows])
            order = np.argsort(-merged_values, axis=0, kind="stable")[: keep + 1]
            col_values = np.take_along_axis(merged_values, order, 0)
            col_rows = np.take_along_axis(merged_rows, order, 0)
        col_bound = col_values[keep].copy()
        good = col_values[:keep] > NEG
        cols = np.broadcast_to(np.arange(m)[None, :], good.shape)
        kept_i.append(col_rows[:keep][good])
        kept_j.append(cols[good])
        kept_s.append(col_values[:keep][good])
        mentee = np.concatenate(kept_i).astype(np.int64)
        mentor = np.concatenate(kept_j).astype(np.int64)
        score = np.concatenate(kept_s).astype(np.int64)
        _keys, first = np.unique(mentee * m + mentor, return_index=True)
        candidates = Candidates(
            mentee=mentee[first],
            mentor=mentor[first],
            score=score[first],
            row_bound=row_bound,
            col_bound=col_bound,
            allowed_per_mentee=per_mentee,
            allowed_per_mentor=per_mentor,
            allowed_pairs=int(per_mentee.sum()),
        )
        candidates.sort(m)
        return candidates

    def _explicit_candidates(self) -> Candidates:
        ctx = self.context
        n, m = ctx.n_mentees, ctx.n_mentors
        assert self.explicit is not None
        mentee, mentor, score = self.explicit
        keys = mentee * m + mentor
        allowed = (score >= ctx.min_score) & ~np.isin(keys, ctx.forbidden_keys)
        per_mentee = np.bincount(mentee[allowed], minlength=n)
        per_mentor = np.bincount(mentor[allowed], minlength=m)
        usable = (
            allowed
            & ctx.mentee_usable[mentee]
            & ctx.mentor_usable[mentor]
            & ~np.isin(keys, ctx.pinned_keys)
        )
        candidates = Candidates(
            mentee=mentee[usable].astype(np.int64),
            mentor=mentor[usable].astype(np.int64),
            score=score[usable].astype(np.int64),
            row_bound=np.full(n, NEG),
            col_bound=np.full(m, NEG),
            allowed_per_mentee=per_mentee,
            allowed_per_mentor=per_mentor,
            allowed_pairs=int(allowed.sum()),
        )
        candidates.sort(m)
        return candidates

    def rescan(
        self,
        rows: np.ndarray,
        candidates: Candidates,
        wanted: Callable[[np.ndarray, np.ndarray], np.ndarray],
    ) -> int:
        """Add the usable allowed pairs of `rows` that `wanted(rows, scores)` marks; count them."""
        if self.explicit is not None or len(rows) == 0:
            return 0
        ctx = self.context
        m = ctx.n_mentors
        step = max(1, BLOCK_CELLS // max(m, 1))
        added = 0
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            score, allowed = self.block(chunk)
            usable = allowed & ctx.mentee_usable[chunk][:, None] & ctx.mentor_usable[None, :]
            self._clear(usable, chunk, ctx.pinned_keys)
            usable &= wanted(chunk, score)
            r, c = np.nonzero(usable)
            if len(r) == 0:
                continue
            mentee = chunk[r]
            keys = mentee * m + c
            new = ~np.isin(keys, candidates.keys)
            if new.any():
                candidates.add(mentee[new], c[new], score[r, c][new].astype(np.int64), m)
                added += int(new.sum())
        return added


def rows_needing_rescan(
    row_bound: np.ndarray, col_bound: np.ndarray, row_level: np.ndarray, col_level: np.ndarray
) -> np.ndarray:
    """Mentees i for which some pruned pair (i, j) might score above row_level[i] + col_level[j].

    A pruned pair scores at most min(row_bound[i], col_bound[j]); the check is exact for those
    bounds and costs O((n + m) log m).
    """
    order = np.argsort(col_level, kind="stable")
    levels = col_level[order].astype(np.float64)
    slack = col_bound[order] - levels
    best = np.maximum.accumulate(slack) if len(slack) else slack
    threshold = row_bound - row_level
    index = np.searchsorted(levels, threshold, side="left")
    flagged = np.zeros(len(row_bound), dtype=bool)
    has = (index > 0) & (row_bound > NEG)
    flagged[has] = best[index[has] - 1] > row_level[has]
    return np.flatnonzero(flagged)


def pair_scores(
    source: PairSource, mentee: np.ndarray, mentor: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and usable-allowed-ness of given pairs (not forbidden, not pinned, capacity left)."""
    ctx = source.context
    m = ctx.n_mentors
    keys = mentee * m + mentor
    if source.explicit is not None:
        e_mentee, e_mentor, e_score = source.explicit
        e_keys = e_mentee * m + e_mentor
        order = np.argsort(e_keys)
        position = np.searchsorted(e_keys[order], keys)
        position = np.minimum(position, max(len(order) - 1, 0))
        found = e_keys[order][position] == keys if len(order) else np.zeros(len(keys), dtype=bool)
        score = np.where(found, e_score[order][position] if len(order) else 0, 0).astype(np.int64)
        ok = found & (score >= ctx.min_score)
    else:
        assert source.model is not None
        raw, ok, _, _ = source.model.pairs(mentee, mentor)
        score = raw.astype(np.int64)
        ok = ok & (score >= ctx.min_score)
    ok &= ~np.isin(keys, ctx.forbidden_keys) & ~np.isin(keys, ctx.pinned_keys)
    ok &= ctx.mentee_usable[mentee] & ctx.mentor_usable[mentor]
    return score, ok


def row_pairs(source: PairSource, mentee: int) -> tuple[np.ndarray, np.ndarray]:
    """All usable allowed pairs of one mentee: (mentors, scores)."""
    ctx = source.context
    if source.explicit is not None:
        e_mentee, e_mentor, _ = source.explicit
        mentors = e_mentor[e_mentee == mentee]
        score, ok = pair_scores(source, np.full(len(mentors), mentee, dtype=np.int64), mentors)
        return mentors[ok], score[ok]
    rows = np.array([mentee], dtype=np.int64)
    score, allowed = source.block(rows)
    usable = allowed[0] & ctx.mentor_usable & bool(ctx.mentee_usable[mentee])
    source._clear(usable[None, :], rows, ctx.pinned_keys)
    mentors = np.flatnonzero(usable)
    return mentors, score[0, mentors].astype(np.int64)
