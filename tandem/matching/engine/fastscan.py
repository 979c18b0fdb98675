"""Fast, bounded-error scoring of whole cohorts, blocked by the required rules.

The exact scores (scoring.py) are integers; scanning 10^9 pairs with them is too slow. This module
computes, for blocks of pairs, a float32 *approximation* ``approx`` of the exact micro-point score
with a proven error bound: ``|approx - exact| <= eps`` for every pair. It is used to choose each
person's candidates and to bound the pruned pairs (``exact <= approx + eps``); the chosen pairs are
then rescored exactly. Nothing it computes is ever reported as a score.

How:
- every criterion whose contribution is linear in indicator features (`overlap`, `text`) or whose
  one side has few distinct values (a lookup table) becomes columns of two non-negative feature
  matrices L (mentees) and R (mentors) in micro-points, so a block costs one float32 matrix
  product ``L[rows] @ R[cols].T``; the rest is evaluated exactly, pair by pair, and added;
- required rules are exact booleans, never approximated: rules whose mentee side has few distinct
  values put mentees with the same values in one *group*, which is only compared with the mentors
  that rule allows (realistic cohorts: language and timezone cut the pairs by 70%); other rules
  are evaluated per block.

Error bound: all feature products are non-negative and their exact sum is at most 10^6 (the
largest possible score), so float32 rounding of the inputs (2u) and of any summation order of D
products (gamma_D = D u / (1 - D u)) is at most (D + 2) u (1 + 1e-3) 10^6 with u = 2^-24; the
exact score rounds the pico-point sum to micro-points (0.5) and `text` / `near` round each
contribution (0.5e-6 each). `eps` doubles the float part and adds 2 micro-points.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .scoring import (
    DENSE_ONE_HOT_LIMIT,
    LINEAR_LIMIT,
    TABLE_LIMIT,
    CriterionModel,
    ScoringModel,
    SetSide,
    _distinct_rows,
    _take,
)

MICRO = 1e6  # pico-points per micro-point
MAX_GROUPS = 1024  # more groups would be too small for efficient matrix products
# Tie-breaking jitter (micro-points) added to every approximate score: a few seeded random
# feature columns, so that each mentee orders equally scored mentors differently (and each mentor
# its mentees). Without it, on coarse criteria every mentee's candidates would be the same few
# tied mentors. It is part of the error bound: exact <= approx + eps and approx <= exact + eps.
JITTER = 4.0
JITTER_DIMS = 4


@dataclass
class Group:
    """Mentees sharing the values of the grouping rules, and the mentors those rules allow."""

    rows: np.ndarray
    cols: np.ndarray


class FastScorer:
    """Approximate block scores with an error bound, and exact required-rule masks."""

    def __init__(self, model: ScoringModel) -> None:
        self.model = model
        n, m = model.n_mentees, model.n_mentors
        left: list[np.ndarray] = []
        right: list[np.ndarray] = []
        self.exact_terms: list[CriterionModel] = []
        self.sparse_different: list[tuple[sp.csr_matrix, float, bool]] = []
        mentee_rules: list[tuple[np.ndarray, np.ndarray]] = []  # (codes, ok table codes x m)
        self.mentor_rules: list[tuple[np.ndarray, np.ndarray]] = []  # (ok table n x codes, codes)
        self.elementwise_rules: list[CriterionModel] = []
        for cm in model.models:
            a, b = cm.mentee, cm.mentor
            kind = cm.criterion.type
            required = cm.criterion.required
            sparse_diff = (
                kind == "different"
                and isinstance(a, SetSide)
                and isinstance(b, SetSide)
                and (
                    max(a.matrix.shape[0], b.matrix.shape[0]) * a.matrix.shape[1]
                    > DENSE_ONE_HOT_LIMIT
                    or len(cm.vocabulary) > LINEAR_LIMIT
                )
            )
            if sparse_diff:
                assert isinstance(a, SetSide)
                assert isinstance(b, SetSide)
                scale = float(np.rint(cm.scale))
                if scale:
                    left.append((a.present * (scale / MICRO)).astype(np.float32)[:, None])
                    right.append(b.present.astype(np.float32)[:, None])
                if scale or required:
                    # All (mentee, mentor) pairs sharing a value, once, as a sparse matrix.
                    hits = (a.matrix @ b.matrix.T).tocsr()
                    hits.sort_indices()
                    self.sparse_different.append((hits, scale / MICRO, required))
                continue
            if cm.scale > 0:
                if self._linear(cm, left, right):
                    pass
                elif not self._table(cm, left, right):
                    self.exact_terms.append(cm)
            if required:
                codes, reps = _distinct_rows(a)
                if len(reps) <= TABLE_LIMIT:
                    _, _, ok = cm.evaluate(_take(a, reps), b)
                    assert ok is not None
                    mentee_rules.append((codes, ok))
                    continue
                codes, reps = _distinct_rows(b)
                if len(reps) <= TABLE_LIMIT:
                    _, _, ok = cm.evaluate(a, _take(b, reps))
                    assert ok is not None
                    self.mentor_rules.append((ok, codes))
                    continue
                self.elementwise_rules.append(cm)
        if JITTER > 0 and n and m:
            rng = np.random.default_rng(20240611)
            jitter_left = rng.random((n, JITTER_DIMS), dtype=np.float32)
            left.append(jitter_left * np.float32(JITTER / JITTER_DIMS))
            right.append(rng.random((m, JITTER_DIMS), dtype=np.float32))
        self.left = (
            np.ascontiguousarray(np.hstack(left), dtype=np.float32)
            if left
            else np.zeros((n, 1), dtype=np.float32)
        )
        self.right = (
            np.ascontiguousarray(np.hstack(right), dtype=np.float32)
            if right
            else np.zeros((m, 1), dtype=np.float32)
        )
        dims = self.left.shape[1] + len(self.exact_terms) + len(self.sparse_different) + 4
        self.eps = 2.0 + 2.0 * dims * 2.0**-24 * 1.001 * MICRO + JITTER
        self.mentee_masks: list[tuple[np.ndarray, np.ndarray]] = []  # (codes n, ok codes x m)
        self.groups = self._groups(mentee_rules)

    # -- features ----------------------------------------------------------------------------
    @staticmethod
    def _linear(cm: CriterionModel, left: list[np.ndarray], right: list[np.ndarray]) -> bool:
        a, b = cm.mentee, cm.mentor
        kind = cm.criterion.type
        if kind not in ("overlap", "text") or not isinstance(a, SetSide):
            return False
        assert isinstance(b, SetSide)
        if len(cm.vocabulary) > LINEAR_LIMIT:
            return False
        if kind == "overlap":
            # |A ∩ B| * rint(scale / |A|): exactly the scoring formula, as a dot product.
            unit = np.where(a.size > 0, np.rint(cm.scale / np.maximum(a.size, 1.0)), 0.0)
            left.append((a.matrix.toarray() * (unit / MICRO)[:, None]).astype(np.float32))
            right.append(b.matrix.toarray().astype(np.float32))
        else:
            # cosine |A ∩ B| / sqrt(|A| |B|) (the exact score rounds it to a pico-point)
            inv_a = np.where(a.size > 0, 1.0 / np.sqrt(np.maximum(a.size, 1.0)), 0.0)
            inv_b = np.where(b.size > 0, 1.0 / np.sqrt(np.maximum(b.size, 1.0)), 0.0)
            left.append(
                (a.matrix.toarray() * (inv_a * cm.scale / MICRO)[:, None]).astype(np.float32)
            )
            right.append((b.matrix.toarray() * inv_b[:, None]).astype(np.float32))
        return True

    @staticmethod
    def _table(cm: CriterionModel, left: list[np.ndarray], right: list[np.ndarray]) -> bool:
        for side_name in ("mentee", "mentor"):
            side = cm.mentee if side_name == "mentee" else cm.mentor
            codes, reps = _distinct_rows(side)
            if len(reps) > TABLE_LIMIT:
                continue
            one_hot = np.zeros((len(codes), len(reps)), dtype=np.float32)
            one_hot[np.arange(len(codes)), codes] = 1.0
            if side_name == "mentee":
                _, contribution, _ = cm.evaluate(_take(cm.mentee, reps), cm.mentor)
                left.append(one_hot)
                right.append((contribution.T / MICRO).astype(np.float32))
            else:
                _, contribution, _ = cm.evaluate(cm.mentee, _take(cm.mentor, reps))
                left.append((contribution / MICRO).astype(np.float32))
                right.append(one_hot)
            return True
        return False

    def _groups(self, rules: list[tuple[np.ndarray, np.ndarray]]) -> list[Group]:
        """Group mentees by the values of the most selective rules (at most MAX_GROUPS groups).

        Rules that would make the groups too many (and too small for fast matrix products) are
        checked per block instead, as exact masks.
        """
        n, m = self.model.n_mentees, self.model.n_mentors
        # Most selective first: the rule that allows the fewest pairs on average.
        ranked = sorted(
            rules,
            key=lambda rule: float(rule[1].mean(axis=1)[rule[0]].mean()) if n and m else 0.0,
        )
        key = np.zeros(n, dtype=np.int64)
        used: list[tuple[np.ndarray, np.ndarray]] = []
        for codes, table in ranked:
            trial = key * (table.shape[0] + 1) + codes
            if used and len(np.unique(trial)) > MAX_GROUPS:
                self.mentee_masks.append((codes, table))
                continue
            key = trial
            used.append((codes, table))
        rules = used
        if not rules:
            return [Group(rows=np.arange(n, dtype=np.int64), cols=np.arange(m, dtype=np.int64))]
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        order = np.argsort(inverse, kind="stable")
        starts = np.searchsorted(inverse[order], np.arange(len(first) + 1))
        groups = []
        for g, representative in enumerate(first.tolist()):
            ok = np.ones(m, dtype=bool)
            for codes, table in rules:
                ok &= table[codes[representative]]
            cols = np.flatnonzero(ok)
            groups.append(Group(rows=order[starts[g] : starts[g + 1]], cols=cols))
        return groups

    # -- blocks ------------------------------------------------------------------------------
    def blocks(
        self, cells: int, lane: int = 0, lanes: int = 1
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(rows, cols, right features of cols) for row chunks of every group, about `cells`.

        Groups without mentors (nothing to score) are left out. With `lanes` > 1, only the
        blocks numbered `lane` modulo `lanes` (a fixed share, for one thread of several).
        """
        index = 0
        for group in self.groups:
            if len(group.cols) == 0 or len(group.rows) == 0:
                continue
            step = max(1, cells // len(group.cols))
            count = -(-len(group.rows) // step)
            mine = [b for b in range(index, index + count) if b % lanes == lane]
            if mine:
                features = np.ascontiguousarray(self.right[group.cols])
                for b in mine:
                    start = (b - index) * step
                    yield group.rows[start : start + step], group.cols, features
            index += count

    def block(
        self, rows: np.ndarray, cols: np.ndarray, features: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Approximate scores (float32, within `eps` of exact) and exact required-rule success.

        `cols` must lie within the group of every row (the grouping rules are not re-checked).
        """
        approx, ok, fail_r, fail_c = self.block_sparse(rows, cols, features)
        if ok is None:
            ok = np.ones(approx.shape, dtype=bool)
            ok[fail_r, fail_c] = False
        return approx, ok

    def block_sparse(
        self, rows: np.ndarray, cols: np.ndarray, features: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
        """Like `block`, with the required rules' failures as positions when that is all.

        Returns (approx, ok, fail_rows, fail_cols): when no rule needs a per-pair mask, ok is
        None and the pairs failing a required rule are exactly the listed positions (often
        none); otherwise ok is the mask and the lists are empty.
        """
        right = self.right[cols] if features is None else features
        approx = self.left[rows] @ right.T
        empty = np.zeros(0, dtype=np.int64)
        dense = bool(self.mentor_rules or self.mentee_masks or self.elementwise_rules)
        ok = np.ones(approx.shape, dtype=bool) if dense else None
        if not approx.size:
            return approx, ok, empty, empty
        for cm in self.exact_terms:
            _, contribution, _ = cm.evaluate(_take(cm.mentee, rows), _take(cm.mentor, cols))
            approx += (contribution / MICRO).astype(np.float32)
        if ok is not None:
            for table, codes in self.mentor_rules:
                ok &= table[rows][:, codes[cols]]
            for codes, table in self.mentee_masks:
                ok &= table[codes[rows]][:, cols]
            for cm in self.elementwise_rules:
                _, _, passed = cm.evaluate(_take(cm.mentee, rows), _take(cm.mentor, cols))
                assert passed is not None
                ok &= passed
        fail_r: list[np.ndarray] = [empty]
        fail_c: list[np.ndarray] = [empty]
        for hits, scale, required in self.sparse_different:
            r, c = _hits_in_block(hits, rows, cols)
            if scale:
                approx[r, c] -= np.float32(scale)
            if required:
                if ok is not None:
                    ok[r, c] = False
                else:
                    fail_r.append(r)
                    fail_c.append(c)
        if ok is not None:
            return approx, ok, empty, empty
        return approx, None, np.concatenate(fail_r), np.concatenate(fail_c)


def _hits_in_block(
    hits: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (in the block) of the nonzeros of `hits` within rows x sorted cols."""
    starts, ends = hits.indptr[rows], hits.indptr[rows + 1]
    counts = ends - starts
    total = int(counts.sum())
    if total == 0 or len(cols) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    block_row = np.repeat(np.arange(len(rows)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    mentor = hits.indices[np.repeat(starts, counts) + offset]
    position = np.minimum(np.searchsorted(cols, mentor), len(cols) - 1)
    inside = cols[position] == mentor
    return block_row[inside], position[inside]
