"""Where a problem's allowed pairs come from: a full scan in blocks, keeping the best candidates.

The scan keeps each mentee's top k and each mentor's top k allowed pairs, and for every mentee
and mentor an upper bound on the score of any allowed pair it did *not* keep. The solvers use
those bounds to prove that the pruned pairs cannot change the answer, scoring exactly only the
few suspect pairs where the bounds are not enough.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from .fastscan import FastScorer
from .scoring import ScoringModel

BLOCK_CELLS = 1_000_000
# Threads of the scan. Fixed, not the machine's core count: each thread keeps its own column
# tops, and a different share of the blocks could keep a different one of two tied pairs.
SCAN_LANES = 2
# Each mentee remembers its best REFINED pairs from the scan (approximate scores) and a bound on
# the rest: the certificate re-scores (by matrix products) only the mentors whose level is below
# that bound and looks at the remembered pairs beyond as they are (at 50k, 76M cells were
# re-scored over three rounds to find 12,000 suspects before; now about 8M). 64 rather than 32
# (slower) or 96 (no faster); memory: 8 bytes a pair, 26 MB at 50,000 mentees, released before
# the reasons are written. At most CAP (below), so the remembered pairs never give a mentee more
# suspects in a round than a capped prefix would.
REFINED = 64
# At most this many suspects per mentee, and as many added per mentor, are examined in a round
# (the most promising first); the rest wait for the next round. Without the cap a candidate set
# far from the optimum (say, too few pairs: every mentee's top pairs at the same few mentors)
# would turn millions of pairs into violators at once. 64 rather than 24: on a product-sized run
# with coarse rules (20,000 participants, five criteria, most matched pairs scoring 1.0, so the
# first candidates miss 900 of the pairs) it took 3 rounds instead of 5 (fair: 32.6 -> 21.6 s);
# 128 let too many in per round (29 s). Cohorts whose first round caps nobody are unaffected.
CAP = 64
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
        self._fast: FastScorer | None = None
        # Each mentee's best REFINED pairs from the scan (NEG-padded approximate scores) and
        # a bound on the rest (NaN: not known, so the certificate re-scores the mentee's pairs).
        self._refined_cols = np.zeros((0, 0), dtype=np.int32)
        self._refined_vals = np.zeros((0, 0), dtype=np.float32)
        self._refined_bound = np.full(context.n_mentees, np.nan)
        # Pairs the certificate scored exactly and found not allowed (sorted keys): never again.
        self._rejected = np.zeros(0, dtype=np.int64)
        # Pairs found scoring below the current floor (and that floor): skipped while it holds.
        self._floor = NEG
        self._margin = 0.0
        self._below: tuple[float, np.ndarray] = (NEG, np.zeros(0, dtype=np.int64))
        self.capped = 0  # mentees whose suspects were capped in the last `suspects` call

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
    def fast(self) -> FastScorer:
        """The bounded-error block scorer (built once)."""
        assert self.model is not None
        if self._fast is None:
            self._fast = FastScorer(self.model)
        return self._fast

    def release(self) -> None:
        """Drop the fast scorer (it is rebuilt if needed again) and the remembered pairs."""
        self._fast = None
        self._refined_cols = np.zeros((0, 0), dtype=np.int32)
        self._refined_vals = np.zeros((0, 0), dtype=np.float32)
        self._refined_bound[:] = np.nan

    def scan(self, keep: int, remember: bool = True) -> Candidates:
        """Keep each usable mentee's and mentor's top `keep` allowed pairs, with bounds.

        Candidates are chosen by the fast approximate scores (fastscan.py) and then rescored
        exactly; a bound is the largest approximate score left out plus the error bound, so it
        is an upper bound on the exact score of every pruned pair. Allowed-ness is exact.
        With `remember`, each mentee also remembers its best REFINED pairs for the certificate
        (`suspects`); `stable`, which needs no certificate, leaves that out.
        """
        ctx = self.context
        n, m = ctx.n_mentees, ctx.n_mentors
        if self.explicit is not None:
            return self._explicit_candidates()
        assert self.model is not None
        fast = self.fast()
        eps = fast.eps
        floor = ctx.min_score
        per_mentee = np.zeros(n, dtype=np.int64)
        row_bound = np.full(n, NEG)
        all_usable = bool(ctx.mentee_usable.all() and ctx.mentor_usable.all())
        depth = max(REFINED, keep) if remember else keep
        self._refined_cols = np.zeros((n, depth), dtype=np.int32)
        self._refined_vals = np.full((n, depth), NEG, dtype=np.float32)
        self._refined_bound = np.full(n, np.nan)

        def work(block: tuple[np.ndarray, np.ndarray, np.ndarray]) -> _Block:
            rows, cols, features = block
            approx, ok, fail_r, fail_c = fast.block_sparse(rows, cols, features)
            if ok is None and floor > 0:
                ok = np.ones(approx.shape, dtype=bool)
                ok[fail_r, fail_c] = False
            if ok is None:
                # Only listed pairs fail (a sparse rule, forbidden pairs): no mask passes.
                forbid_r, forbid_c = self._positions(rows, cols, ctx.forbidden_keys)
                if len(forbid_r):
                    fail_r = np.concatenate([fail_r, forbid_r])
                    fail_c = np.concatenate([fail_c, forbid_c])
                if len(fail_r):
                    unique = np.unique(fail_r * len(cols) + fail_c)
                    fail_r, fail_c = unique // len(cols), unique % len(cols)
                row_allowed = len(cols) - np.bincount(fail_r, minlength=len(rows))
                col_allowed = len(rows) - np.bincount(fail_c, minlength=len(cols))
                approx[fail_r, fail_c] = NEG
                if not all_usable:
                    approx[~ctx.mentee_usable[rows]] = NEG
                    approx[:, ~ctx.mentor_usable[cols]] = NEG
                pin_r, pin_c = self._positions(rows, cols, ctx.pinned_keys)
                approx[pin_r, pin_c] = NEG
            else:
                if floor > 0:
                    self._apply_floor(approx, ok, rows, cols, eps)
                self._clear_sub(ok, rows, cols, ctx.forbidden_keys)
                row_allowed = ok.sum(axis=1)
                col_allowed = ok.sum(axis=0)
                usable = ok & ctx.mentee_usable[rows][:, None] & ctx.mentor_usable[cols][None, :]
                self._clear_sub(usable, rows, cols, ctx.pinned_keys)
                approx[~usable] = NEG
            # The best `depth` of each row: the first `keep` are candidates, the (keep + 1)-th
            # makes the row's bound, and all are remembered for the certificate.
            top_r, top_c, top_v, left_out = row_tops(approx, depth)
            rank = np.arange(len(top_r)) - np.searchsorted(top_r, np.arange(len(rows)))[top_r]
            self._refined_cols[rows[top_r], rank] = cols[top_c]
            self._refined_vals[rows[top_r], rank] = top_v
            bound = np.where(left_out > NEG, left_out.astype(np.float64) + eps, NEG)
            self._refined_bound[rows] = bound
            if depth > keep:
                bound = np.full(len(rows), NEG)
                at = rank == keep
                bound[top_r[at]] = top_v[at].astype(np.float64) + eps
            first = rank < keep
            return _Block(
                rows=rows,
                cols=cols,
                approx=approx,
                row_allowed=row_allowed,
                col_allowed=col_allowed,
                bound=bound,
                kept_i=rows[top_r[first]],
                kept_j=cols[top_c[first]],
            )

        def lane(k: int) -> None:
            # Rows are in exactly one block, so the lanes write disjoint parts of the per-row
            # arrays; per-mentor counts are summed per lane, then across lanes.
            for block in fast.blocks(BLOCK_CELLS, k, SCAN_LANES):
                done = work(block)
                per_mentee[done.rows] = done.row_allowed
                row_bound[done.rows] = done.bound
                mentor_counts[k][done.cols] += done.col_allowed
                kept[k].append((done.kept_i, done.kept_j))
                columns[k].add(done.approx, done.rows, done.cols)

        # The blocks are shared out to SCAN_LANES threads by number (numpy releases the GIL in
        # the matrix products and sorts), each with its own column tops, merged at the end: a
        # fixed share, so the result never depends on the threads' timing nor on the machine.
        columns = [_ColumnTops(m, keep, n) for _ in range(SCAN_LANES)]
        mentor_counts = [np.zeros(m, dtype=np.int64) for _ in range(SCAN_LANES)]
        kept: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(SCAN_LANES)]
        with ThreadPoolExecutor(max_workers=SCAN_LANES) as pool:
            for future in [pool.submit(lane, k) for k in range(SCAN_LANES)]:
                future.result()
        per_mentor = np.sum(mentor_counts, axis=0)
        for other in columns[1:]:
            columns[0].merge(other)
        col_i, col_j, col_bound = columns[0].finish(eps)
        mentee = np.concatenate([*(i for share in kept for i, _ in share), col_i]).astype(np.int64)
        mentor = np.concatenate([*(j for share in kept for _, j in share), col_j]).astype(np.int64)
        _keys, first = np.unique(mentee * m + mentor, return_index=True)
        mentee, mentor = mentee[first], mentor[first]
        exact, _ = self.model.scores(mentee, mentor)
        candidates = Candidates(
            mentee=mentee,
            mentor=mentor,
            score=exact.astype(np.int64),
            row_bound=row_bound,
            col_bound=col_bound,
            allowed_per_mentee=per_mentee,
            allowed_per_mentor=per_mentor,
            allowed_pairs=int(per_mentee.sum()),
        )
        candidates.sort(m)
        return candidates

    def _apply_floor(
        self, approx: np.ndarray, ok: np.ndarray, rows: np.ndarray, cols: np.ndarray, eps: float
    ) -> None:
        """Exact `score >= min_score` on a block: approximate where clear, exact near the floor."""
        assert self.model is not None
        floor = self.context.min_score
        unsure = ok & (approx < floor + eps) & (approx >= floor - eps)
        ok &= approx >= floor + eps
        r, c = cells(unsure)
        if len(r):
            exact, _ = self.model.scores(rows[r], cols[c])
            passed = exact >= floor
            ok[r[passed], c[passed]] = True

    def _clear_sub(
        self, mask: np.ndarray, rows: np.ndarray, cols: np.ndarray, keys: np.ndarray
    ) -> None:
        """Clear the listed pairs in a block of sorted `rows` x sorted `cols`."""
        r, c = self._positions(rows, cols, keys)
        mask[r, c] = False

    def _positions(
        self, rows: np.ndarray, cols: np.ndarray, keys: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the listed pairs (sorted keys) in a block of sorted rows x sorted cols."""
        if len(keys) == 0 or len(rows) == 0 or len(cols) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        m = self.context.n_mentors
        i, j = keys // m, keys % m
        r = np.searchsorted(rows, i)
        c = np.searchsorted(cols, j)
        inside = (r < len(rows)) & (c < len(cols))
        r, c, i, j = r[inside], c[inside], i[inside], j[inside]
        hit = (rows[r] == i) & (cols[c] == j)
        return r[hit], c[hit]

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

    def suspects(
        self,
        candidates: Candidates,
        row_level: np.ndarray,
        col_level: np.ndarray,
        chunk: int = 500_000,
        floor: float = NEG,
        margin: float = 0.0,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Pruned pairs the bounds cannot rule out: min(row_bound, col_bound) > row + col level.

        Pairs that provably score below `floor` are left out too. With a `margin`, pairs that
        may score within `margin` below the level are suspects as well. Rows capped (see
        `_prefix_suspects`) are counted in `self.capped`: each has a pair surely above the level.

        Every allowed pair outside the candidates lies in some group's rows x cols (the grouping
        rules are required rules) and scores at most min(row_bound[i], col_bound[j]), so any pair
        not yielded here provably scores <= row_level[i] + col_level[j]. Yields (mentees,
        mentors) arrays of at most about `chunk` pairs; candidate pairs may be among them.
        """
        self.capped = 0
        self._floor = floor
        self._margin = margin
        if self.explicit is not None:
            return
        fast = self.fast()
        ctx = self.context
        rb, cb = candidates.row_bound, candidates.col_bound
        # Pairs with a mentee or mentor without capacity left are never allowed to be used.
        row_level = np.where(ctx.mentee_usable, row_level - margin, np.inf)
        col_level = np.where(ctx.mentor_usable, col_level, np.inf)
        # Mentors re-scored for mentee i: col_level < limit[i] (its refined bound, or its row
        # bound when it remembers nothing, less its level); the rest of its remembered pairs
        # are looked at as they are.
        with np.errstate(invalid="ignore"):
            bound = np.where(np.isnan(self._refined_bound), rb, np.fmin(self._refined_bound, rb))
            limit = bound - row_level
        for group in fast.groups:
            rows, cols = group.rows, group.cols
            if len(rows) == 0 or len(cols) == 0:
                continue
            with np.errstate(invalid="ignore"):
                col_floor = float(np.min(col_level[cols]))
                rows = rows[rb[rows] - row_level[rows] > col_floor]
                if len(rows) == 0:
                    continue
                row_floor = float(np.min(row_level[rows]))
                cols = cols[cb[cols] - col_level[cols] > row_floor]
            if len(cols) == 0:
                continue
            # A pair can only be a suspect if col_level[j] < row_bound[i] - row_level[i]: with
            # the mentors sorted by level that is a prefix of them for each mentee.
            by_level = cols[np.argsort(col_level[cols], kind="stable")]
            levels = col_level[by_level]
            with np.errstate(invalid="ignore"):
                counts = np.searchsorted(levels, rb[rows] - row_level[rows], side="left")
            rows, counts = rows[counts > 0], counts[counts > 0]
            if len(rows) == 0:
                continue
            # A pair a mentee does not remember scores at most its refined bound, so it can only
            # be a suspect where the level is below that bound: the first `width` mentors of its
            # prefix, which are re-scored. Its remembered pairs at or above that level are
            # looked at as they are (no matrix product).
            width = np.searchsorted(levels, limit[rows], side="left")
            yield from self._stored_suspects(rows, rb, cb, row_level, col_level, limit)
            yield from self._prefix_suspects(
                rows[width > 0],
                width[width > 0],
                by_level,
                candidates,
                row_level,
                col_level,
                limit,
                chunk,
            )

    def _prefix_suspects(
        self,
        rows: np.ndarray,
        counts: np.ndarray,
        by_level: np.ndarray,
        candidates: Candidates,
        row_level: np.ndarray,
        col_level: np.ndarray,
        limit: np.ndarray,
        chunk: int,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Suspects among each row's prefix `by_level[:count]`, by approximate scores.

        The prefixes are re-scored approximately (matrix products over rows of similar prefix
        length, so little is wasted) and only the pairs whose approximate score could still
        exceed the level (approx + eps > level) are yielded. Columns past a row's own prefix
        (col_level >= limit[row]) are never yielded: a row's remembered pairs there are looked
        at by `_stored_suspects`, and its other pairs there cannot be suspects. A row with more
        than CAP such pairs (candidates and known non-allowed pairs aside) yields its CAP most
        promising ones (largest approx - level) and counts in `self.capped`.
        """
        if len(rows) == 0:
            return
        fast = self.fast()
        ctx = self.context
        rb, cb = candidates.row_bound, candidates.col_bound
        order = np.argsort(-counts, kind="stable")
        rows, counts = rows[order], counts[order]
        slices: list[tuple[np.ndarray, int]] = []  # (rows, prefix width): blocks made lazily
        start = 0
        while start < len(rows):
            width = int(counts[start])
            # Rows down to half this width share the block (at most half of it is wasted).
            end = int(np.searchsorted(-counts, -(width // 2), side="right"))
            end = min(max(end, start + 1), start + max(1, chunk // width))
            slices.append((rows[start:end], width))
            start = end

        def score(
            block: tuple[np.ndarray, int],
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            part, width = block
            sub = np.sort(by_level[:width])
            approx, ok = fast.block(part, sub)
            level = row_level[part][:, None] + col_level[sub][None, :]
            with np.errstate(invalid="ignore"):
                hit = ok & (approx.astype(np.float64) + fast.eps > np.maximum(level, self._floor))
                hit &= np.minimum(rb[part][:, None], cb[sub][None, :]) > level
                hit &= col_level[sub][None, :] < limit[part][:, None]
            return part, sub, approx, level, hit

        # Several blocks: the next is scored in a worker thread while the caller scores the
        # suspects of this one exactly (same blocks, same order, same result).
        scored = _in_order(score, slices) if len(slices) > 1 else map(score, slices)
        for part, sub, approx, level, hit in scored:
            if len(part) and int(hit.sum(axis=1).max()) > CAP:
                below = self._below[1] if self._below[0] == self._floor else self._rejected[:0]
                excluded = (candidates.keys, self._rejected, below)
                for keys in (*excluded, ctx.forbidden_keys, ctx.pinned_keys):
                    _clear_rows(hit, part, sub, keys, ctx.n_mentors)
                over = hit.sum(axis=1) > CAP
                if over.any():
                    # How surely a pair is a violator: above the level itself and the floor.
                    with np.errstate(invalid="ignore"):
                        above = np.minimum(
                            approx[over] - level[over] - self._margin, approx[over] - self._floor
                        )
                        slack = np.where(hit[over], above, NEG)
                    top_r, top_c, values, _ = row_tops(slack, CAP)
                    # A row with a pair surely above the level and the floor (by more than eps)
                    # is not proven this round anyway: only its CAP best are examined. Other
                    # rows are examined in full (exactly tied pairs abound in coarse problems;
                    # they are not violators and must not hold up the proof).
                    best = np.full(len(slack), NEG)
                    np.maximum.at(best, top_r, values)
                    sure = best - fast.eps > 0
                    if sure.any():
                        kept = np.zeros(slack.shape, dtype=bool)
                        kept[top_r, top_c] = True
                        rows_over = np.flatnonzero(over)[sure]
                        hit[rows_over] = kept[sure]
                        self.capped += len(rows_over)
            r, c = cells(hit)
            if len(r):
                yield part[r], sub[c]

    def _stored_suspects(
        self,
        rows: np.ndarray,
        rb: np.ndarray,
        cb: np.ndarray,
        row_level: np.ndarray,
        col_level: np.ndarray,
        limit: np.ndarray,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Suspects among the remembered pairs whose mentor is not re-scored for the mentee
        (col_level >= limit[mentee]; see `suspects`)."""
        if len(self._refined_vals) == 0:  # released: nothing remembered, every prefix re-scored
            return
        eps = self.fast().eps
        values = self._refined_vals[rows]
        present = values > NEG
        mentee = np.broadcast_to(rows[:, None], values.shape)[present]
        mentor = self._refined_cols[rows][present].astype(np.int64)
        approx = values[present].astype(np.float64)
        level = row_level[mentee] + col_level[mentor]
        with np.errstate(invalid="ignore"):
            hit = (approx + eps > level) & (np.minimum(rb[mentee], cb[mentor]) > level)
            hit &= ~(col_level[mentor] < limit[mentee])  # exactly the mentors not re-scored
        if hit.any():
            yield mentee[hit], mentor[hit]

    def add_violators(
        self,
        candidates: Candidates,
        row_level: np.ndarray,
        col_level: np.ndarray,
        floor: float = NEG,
        margin: float = 0.0,
    ) -> int:
        """Score the suspects exactly; add those scoring > row + col level (and >= floor).

        Returns the number of violators (pairs above the level), plus the number of mentees
        whose suspects were capped (so 0 means proven). With a `margin`, pairs within `margin`
        below the level are added as well when there is any violator (they are not counted as
        violators); with no violator nothing is added. When suspects were capped, every
        examined allowed pair (>= floor) may join, at most CAP per mentor (largest score -
        level first): the next round goes on from there.
        """
        m = self.context.n_mentors
        found_i: list[np.ndarray] = []
        found_j: list[np.ndarray] = []
        found_s: list[np.ndarray] = []
        found_slack: list[np.ndarray] = []
        found_bad: list[np.ndarray] = []
        rejected: list[np.ndarray] = []
        violators = 0
        below: list[np.ndarray] = []
        for mentee, mentor in self.suspects(
            candidates, row_level, col_level, floor=floor, margin=margin
        ):
            keys = mentee * m + mentor
            new = ~sorted_member(keys, candidates.keys)
            mentee, mentor, keys = mentee[new], mentor[new], keys[new]
            if len(mentee) == 0:
                continue
            score, ok = pair_scores(self, mentee, mentor)
            rejected.append(keys[~ok])
            below.append(keys[ok & (score < floor)])
            with np.errstate(invalid="ignore"):
                level = row_level[mentee] + col_level[mentor]
                violators += int((ok & (score > level) & (score >= floor)).sum())
                bad = ok & (score > level - margin) & (score >= floor)
                usable = ok & (score >= floor)
            found_i.append(mentee[usable])
            found_j.append(mentor[usable])
            found_s.append(score[usable])
            found_slack.append((score - level)[usable])
            found_bad.append(bad[usable])
        capped = self.capped
        if rejected:
            self._rejected = np.union1d(self._rejected, np.concatenate(rejected))
            known = self._below[1] if self._below[0] == floor else self._rejected[:0]
            self._below = (floor, np.union1d(known, np.concatenate(below)))
        if not found_i or not (violators or capped):
            # Nothing is added without a violator: the caller's solution stays aligned, proven.
            return violators + capped
        mentee, mentor = np.concatenate(found_i), np.concatenate(found_j)
        score = np.concatenate(found_s)
        if capped:
            # The most promising pairs of each mentor (largest slack, then mentee order).
            slack = np.concatenate(found_slack)
            order = np.lexsort((mentee, -slack, mentor))
            mentee, mentor, score = mentee[order], mentor[order], score[order]
            starts = np.searchsorted(mentor, np.arange(m + 1))
            chosen = np.arange(len(mentor)) - starts[mentor] < CAP
        else:
            chosen = np.concatenate(found_bad)
        if chosen.any():
            candidates.add(mentee[chosen], mentor[chosen], score[chosen], m)
        return violators + capped


@dataclass
class _Block:
    """One scanned block: masked approximate scores and what the scan keeps from it."""

    rows: np.ndarray
    cols: np.ndarray
    approx: np.ndarray
    row_allowed: np.ndarray
    col_allowed: np.ndarray
    bound: np.ndarray
    kept_i: np.ndarray
    kept_j: np.ndarray


_T = TypeVar("_T")
_R = TypeVar("_R")
PREFETCH = 2  # blocks computed ahead of the merging thread (bounds the extra memory)


def _in_order(work: Callable[[_T], _R], items: Iterable[_T]) -> Iterator[_R]:
    """`map(work, items)` with up to PREFETCH items computed ahead in one worker thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: deque[Future[_R]] = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) > PREFETCH:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def cells(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every true cell of a 2-D mask, in row-major order (as np.nonzero, but
    from flat positions: a 1-D nonzero is several times faster than a 2-D one)."""
    return np.divmod(np.flatnonzero(mask), max(mask.shape[1], 1))


ROW_CHUNKS = 48  # column chunks whose maxima give each row's cut (row_tops)


def row_tops(
    values: np.ndarray, keep: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each row's `keep` largest values above NEG, and the largest value left out (or NEG).

    Returns (row, col, value, left_out): the kept cells as flat arrays ordered by row, then value
    descending, then column (equal values keep the smaller column), and per row the largest
    value not kept.

    A full partial sort of every row costs about 9 ns a cell. Instead each row is cut into
    ROW_CHUNKS column chunks (or twice keep + 1, if more); the (keep + 1)-th largest chunk
    maximum is a value with at least keep + 1 cells at or above it, so it is at most the row's
    (keep + 1)-th largest value, and only the cells at or above it (about 25 a row on real
    cohorts for keep = 20) are sorted. That costs well under 3 ns a cell and gives exactly the
    same kept values and `left_out`.
    """
    rows, cols = values.shape
    depth = keep + 1
    chunks = max(ROW_CHUNKS, 2 * depth)
    if cols > 2 * chunks:
        starts = (np.arange(chunks) * cols) // chunks
        maxima = np.maximum.reduceat(values, starts, axis=1)
        cut = np.partition(maxima, chunks - depth, axis=1)[:, chunks - depth]
        mask = values >= cut[:, None]
        if len(cut) and cut.min() == NEG:  # rows with few allowed cells: all of those
            mask &= values > NEG
    else:
        mask = values > NEG
    flat = np.flatnonzero(mask)
    col_bits = max(1, int(cols - 1).bit_length())
    row = flat // max(cols, 1)
    if values.dtype == np.float32 and int(rows).bit_length() + col_bits <= 31:
        # One int64 sort: row, then the value's order-preserving 32-bit image (reversed), then
        # column. (+ 0.0 turns -0.0 into 0.0, so that equal values get equal images.)
        bits = (values.ravel()[flat] + np.float32(0.0)).view(np.int32).astype(np.int64)
        image = np.where(bits < 0, bits ^ 0x7FFFFFFF, bits) + (1 << 31)  # 0 .. 2^32 - 1
        key = (row << (32 + col_bits)) | ((((1 << 32) - 1) - image) << col_bits)
        key |= flat - row * cols
        key.sort()
        row = key >> (32 + col_bits)
        col = key & ((1 << col_bits) - 1)
    else:
        col = flat - row * cols
        order = np.lexsort((col, -values.ravel()[flat], row))
        row, col = row[order], col[order]
    value = values[row, col]
    rank = np.arange(len(row)) - np.searchsorted(row, np.arange(rows))[row]
    left_out = np.full(rows, NEG, dtype=values.dtype)
    at = rank == keep
    left_out[row[at]] = value[at]
    chosen = rank < keep
    return row[chosen], col[chosen], value[chosen], left_out


_VALUE_BITS = 26  # packed column-top values: (value + offset) * steps below 2**26
_VALUE_OFFSET = 2048.0
_VALUE_STEPS = 16.0


class _ColumnTops:
    """Each mentor's best `keep` + 1 approximate scores over a stream of blocks.

    A block only passes on the values above the mentor's current (keep + 1)-th best (or, for a
    mentor without that many yet, above the block's own (keep + 1)-th best), so after the first
    blocks almost nothing is passed on. `dropped` is the largest value ever filtered out.
    """

    def __init__(self, m: int, keep: int, n: int = 1 << 20) -> None:
        self.m = m
        self.n = n
        self.keep = keep
        self.threshold = np.full(m, NEG)
        self.dropped = np.full(m, NEG)
        self.rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        self.cols: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        self.values: list[np.ndarray] = [np.zeros(0, dtype=np.float32)]
        self.sorted_head = 0  # entries at the head of the lists already in `_sorted` order
        self.pending = 0

    def add(self, approx: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
        depth = self.keep + 1
        limit = self.threshold[cols].astype(np.float32)
        fresh = limit == NEG
        if len(rows) > depth and fresh.any():
            which = np.flatnonzero(fresh)
            local = np.partition(approx[:, which], len(rows) - depth, axis=0)[len(rows) - depth]
            limit[which] = local
        # Everything at or below `limit` is dropped (and bounded by `dropped`); a block's own
        # (keep + 1)-th best is also a lower bound on the mentor's final (keep + 1)-th best.
        self.dropped[cols] = np.maximum(self.dropped[cols], limit)
        self.threshold[cols] = np.maximum(self.threshold[cols], limit)
        # Only the columns whose block maximum beats the threshold can pass anything.
        live = np.flatnonzero(approx.max(axis=0) > limit)
        if len(live) == 0:
            return
        if len(live) * 2 < len(cols):
            r, c = cells(approx[:, live] > limit[live][None, :])
            c = live[c]
        else:
            r, c = cells(approx > limit[None, :])
        self.rows.append(rows[r])
        self.cols.append(cols[c])
        self.values.append(approx[r, c])
        self.pending += len(r)
        if self.pending > max(150_000, self.m * (self.keep + 1) // 4):
            self._compact()

    def merge(self, other: _ColumnTops) -> None:
        """Take in another stream's entries and bounds (for its blocks; compacted by `finish`).

        Each stream keeps its mentors' best entries and bounds what it let go, so the union of
        the kept entries holds every mentor's overall best, and the larger bound still bounds
        everything let go by either.
        """
        self.rows += other.rows
        self.cols += other.cols
        self.values += other.values
        self.pending += other.pending + other.sorted_head
        np.maximum(self.dropped, other.dropped, out=self.dropped)
        np.maximum(self.threshold, other.threshold, out=self.threshold)

    def _sorted(
        self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, presorted: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Entries by mentor, then value descending, then mentee (a total, deterministic order).

        When mentor, value and mentee fit one int64 key, a plain sort of the keys does it (much
        faster than an argsort); values then come back rounded *up* to 1/16 micro-point, which
        keeps every bound made from them an upper bound. Otherwise an exact stable argsort.
        The first `presorted` entries may already be in this order (and rounded): then only the
        rest is sorted, and the two runs are merged (a stable sort finds both runs).
        """
        row_bits = max(1, int(self.n - 1).bit_length())
        col_bits = max(1, int(self.m - 1).bit_length())
        if len(values) == 0 or row_bits + col_bits + _VALUE_BITS > 63:
            order = np.lexsort((rows, -values.astype(np.float64), cols))
            return rows[order], cols[order], values[order]
        q = np.ceil((values.astype(np.float64) + _VALUE_OFFSET) * _VALUE_STEPS).astype(np.int64)
        top = (1 << _VALUE_BITS) - 1
        if q.min() < 0 or q.max() > top:  # outside the packed range: exact path
            order = np.lexsort((rows, -values.astype(np.float64), cols))
            return rows[order], cols[order], values[order]
        key = (cols.astype(np.int64) << (_VALUE_BITS + row_bits)) | ((top - q) << row_bits)
        key |= rows.astype(np.int64)
        if presorted:
            key[presorted:].sort()
            key.sort(kind="stable")
        else:
            key.sort()
        rows = key & ((1 << row_bits) - 1)
        q = top - ((key >> row_bits) & top)
        cols = key >> (_VALUE_BITS + row_bits)
        return rows, cols, q / _VALUE_STEPS - _VALUE_OFFSET

    def _compact(self) -> None:
        rows = np.concatenate(self.rows)
        cols = np.concatenate(self.cols)
        values = np.concatenate(self.values)
        rows, cols, values = self._sorted(rows, cols, values, self.sorted_head)
        starts = np.searchsorted(cols, np.arange(self.m))
        rank = np.arange(len(cols)) - starts[cols]
        depth = self.keep + 1
        keep = rank < depth
        # Whatever the sort key's precision, every value let go is recorded in the bound.
        np.maximum.at(self.dropped, cols[~keep], values[~keep].astype(np.float64))
        full = cols[rank == depth - 1]
        self.threshold[full] = values[rank == depth - 1]
        self.rows, self.cols, self.values = [rows[keep]], [cols[keep]], [values[keep]]
        self.sorted_head = int(keep.sum())
        self.pending = 0

    def finish(self, eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Kept (mentee, mentor) pairs and each mentor's bound on its pruned pairs."""
        self._compact()
        rows, cols, values = self.rows[0], self.cols[0], self.values[0]
        starts = np.searchsorted(cols, np.arange(self.m))
        rank = np.arange(len(cols)) - starts[cols]
        bound = self.dropped.copy()
        last = rank == self.keep
        bound[cols[last]] = np.maximum(bound[cols[last]], values[last])
        bound = np.where(bound > NEG, bound + eps, NEG)
        chosen = rank < self.keep
        return rows[chosen], cols[chosen], bound


def _clear_rows(
    mask: np.ndarray, rows: np.ndarray, cols: np.ndarray, keys: np.ndarray, width: int
) -> None:
    """Clear the listed pairs (sorted keys row * width + col) in a block of `rows` x sorted cols."""
    if len(keys) == 0 or len(rows) == 0 or len(cols) == 0:
        return
    low = np.searchsorted(keys, rows * width)
    high = np.searchsorted(keys, (rows + 1) * width)
    counts = high - low
    total = int(counts.sum())
    if total == 0:
        return
    block_row = np.repeat(np.arange(len(rows)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    col = keys[np.repeat(low, counts) + offset] % width
    position = np.minimum(np.searchsorted(cols, col), len(cols) - 1)
    inside = cols[position] == col
    mask[block_row[inside], position[inside]] = False


def sorted_member(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """`np.isin(keys, sorted_keys)` for an ascending `sorted_keys` (binary search, no hashing)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    position = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[position] == keys


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
        raw, ok = source.model.scores(mentee, mentor)
        score = raw.astype(np.int64)
        ok = ok & (score >= ctx.min_score)
    ok &= ~sorted_member(keys, ctx.forbidden_keys) & ~sorted_member(keys, ctx.pinned_keys)
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


def rows_above(
    source: PairSource, mentees: list[int], level: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per mentee, the usable allowed pairs that may score above `level[mentor]`: (mentors,
    exact scores), mentors ascending.

    Pairs whose bound (approximate score + eps) is at or below the level are left out unscored;
    the others are scored exactly (and may still turn out at or below it). Without a scan model
    (explicit scores) it is `rows_pairs`.
    """
    if source.explicit is not None or source.model is None or not mentees:
        return rows_pairs(source, mentees)
    fast = source.fast()
    ctx = source.context
    found: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    wanted = np.zeros(ctx.n_mentees, dtype=bool)
    # Mentees in chunks whose pairs number at most BLOCK_CELLS: the survivors of a chunk (all of
    # its pairs while the mentors have room) are scored exactly in one call, in bounded memory.
    step = max(1, BLOCK_CELLS // max(ctx.n_mentors, 1))
    for start in range(0, len(mentees), step):
        chunk = np.array(mentees[start : start + step], dtype=np.int64)
        wanted[:] = False
        wanted[chunk] = True
        found_i: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        found_j: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        for group in fast.groups:
            rows = group.rows[wanted[group.rows]]
            if len(rows) == 0 or len(group.cols) == 0:
                continue
            approx, ok = fast.block(rows, group.cols)
            with np.errstate(invalid="ignore"):
                ok &= approx.astype(np.float64) + fast.eps > level[group.cols][None, :]
            r, c = cells(ok)
            found_i.append(rows[r])
            found_j.append(group.cols[c])
        mentee, mentor = np.concatenate(found_i), np.concatenate(found_j)
        score, allowed = pair_scores(source, mentee, mentor)
        mentee, mentor, score = mentee[allowed], mentor[allowed], score[allowed]
        order = np.lexsort((mentor, mentee))
        mentee, mentor, score = mentee[order], mentor[order], score[order]
        starts = np.searchsorted(mentee, chunk, side="left").tolist()
        ends = np.searchsorted(mentee, chunk, side="right").tolist()
        for i, low, high in zip(chunk.tolist(), starts, ends, strict=True):
            found[i] = (mentor[low:high], score[low:high])
    return [found[i] for i in mentees]


def rows_pairs(source: PairSource, mentees: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """All usable allowed pairs of several mentees: per mentee (mentors, exact scores)."""
    if source.explicit is not None or not mentees:
        return [row_pairs(source, i) for i in mentees]
    ctx = source.context
    out: list[tuple[np.ndarray, np.ndarray]] = []
    step = max(1, BLOCK_CELLS // max(ctx.n_mentors, 1))
    ordered = np.array(mentees, dtype=np.int64)
    for start in range(0, len(ordered), step):
        chunk = ordered[start : start + step]
        order = np.argsort(chunk, kind="stable")
        rows = chunk[order]
        score, allowed = source.block(rows)
        usable = allowed & ctx.mentor_usable[None, :] & ctx.mentee_usable[rows][:, None]
        source._clear(usable, rows, ctx.pinned_keys)
        found: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, dtype=np.int64),) * 2] * len(
            rows
        )
        for position in range(len(rows)):
            mentors = np.flatnonzero(usable[position])
            found[position] = (mentors, score[position, mentors].astype(np.int64))
        back = np.empty(len(rows), dtype=np.int64)
        back[order] = np.arange(len(rows))
        out.extend(found[back[k]] for k in range(len(rows)))
    return out
