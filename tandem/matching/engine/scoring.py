"""Pair scores: vectorized, block by block, in exact integer arithmetic.

Every criterion contributes an integer number of 1e-12 "pico-points" to a pair
(``rint(1e12 * weight / total_weight * value)``;
for `overlap`, ``|A ∩ B| * rint(1e12 * w / (W |A|))``),
the contributions are summed exactly (integers below 2**53 in float64), and the sum is rounded to
whole micro-points (1e-6). The score used everywhere — solving, reporting, certifying — is that
micro-point integer, so every code path (block scan, single pairs, tables) agrees bit for bit.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import scipy.sparse as sp

from .problem import Criterion, Participant

PICO = 1e12
MICRO_PER_PICO = 1e6
# A side with at most this many distinct values is folded into a lookup table (a matrix product).
TABLE_LIMIT = 64
# A non-required overlap over at most this many distinct values is folded in as linear features.
LINEAR_LIMIT = 512
DENSE_ONE_HOT_LIMIT = 20_000_000
# Vocabularies up to this size also get a bitset per participant (exact pair intersections).
BITSET_LIMIT = 512
_WORD = re.compile(r"\w+", re.UNICODE)


@functools.lru_cache(maxsize=1 << 16)
def normalize(value: str) -> str:
    """Strings compare after trimming and case-folding (MATCHING.md). Memoized: values repeat."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _number_token(value: float | int) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def value_tokens(value: object) -> list[str] | None:
    """The normalized set of a value, as an ordered list; None when the value is missing."""
    if value is None:
        return None
    if isinstance(value, str):
        items = [normalize(value)]
    elif isinstance(value, list):
        items = [normalize(v) for v in value]
    else:
        items = [_number_token(value)]  # type: ignore[arg-type]
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def text_tokens(value: object) -> list[str] | None:
    """Words of a free text (lists are joined); None when missing. Used by `text` criteria."""
    if value is None:
        return None
    if isinstance(value, list):
        text = " ".join(value)
    elif isinstance(value, str):
        text = value
    else:
        text = _number_token(value)  # type: ignore[arg-type]
    words: dict[str, None] = {}
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if len(word) >= 2:
            words.setdefault(word, None)
    return list(words)


def tokenize_all(
    values: Sequence[object], tokenize: Callable[[object], list[str] | None]
) -> list[tuple[str, ...] | None]:
    """Tokens of every value, memoized (cohorts repeat the same values many times).

    Equal values share one tuple object, which keeps later per-pair caches cheap.
    """
    # Lists are not hashable: their tuples are the keys (JSON values are never tuples). The
    # loops over every value run in C (dict.fromkeys, map); Python only sees distinct values.
    keys = [tuple(v) if type(v) is list else v for v in values]
    cache: dict[object, tuple[str, ...] | None] = dict.fromkeys(keys)
    for key in cache:
        if key is not None:
            tokens = tokenize(list(key) if type(key) is tuple else key)
            cache[key] = None if tokens is None else tuple(tokens)
    return list(map(cache.__getitem__, keys))


@dataclass
class SetSide:
    """One side's values for a set-like criterion, as a sparse indicator matrix."""

    matrix: sp.csr_matrix  # participants x vocabulary, 0/1 float64
    size: np.ndarray  # distinct values per participant (float64)
    present: np.ndarray  # bool: value not missing
    cached_dense: np.ndarray | None = None

    @property
    def dense(self) -> np.ndarray | None:
        """A float32 copy of the matrix when small enough (made on first use), else None."""
        rows, cols = self.matrix.shape
        if rows * cols > DENSE_ONE_HOT_LIMIT:
            return None
        if self.cached_dense is None:
            self.cached_dense = self.matrix.toarray().astype(np.float32)
        return self.cached_dense

    bits: np.ndarray | None = None  # participants x words uint64 bitset (small vocabularies)


@dataclass
class NumberSide:
    """One side's values for a numeric criterion (NaN = missing)."""

    values: np.ndarray


Side = SetSide | NumberSide


def _set_side(tokens: Sequence[Sequence[str] | None], vocabulary: dict[str, int]) -> SetSide:
    # Equal token tuples are shared objects (tokenize_all): build each distinct set once.
    # (Grouped by object id; the matrix does not depend on the order of the distinct sets.)
    ids = np.fromiter(map(id, tokens), dtype=np.uint64, count=len(tokens))
    _, first, which = np.unique(ids, return_index=True, return_inverse=True)
    sets: list[Sequence[str] | None] = [tokens[k] for k in first.tolist()]
    lengths = np.array([0 if x is None else len(x) for x in sets], dtype=np.int64)
    get = vocabulary.__getitem__
    flat = np.array([get(item) for x in sets if x for item in x], dtype=np.int64)
    owner = np.repeat(np.arange(len(sets)), lengths)
    flat = flat[np.lexsort((flat, owner))]  # each set's codes ascending, sets in order
    set_start = np.concatenate([[0], np.cumsum(lengths)])
    rows = np.asarray(which, dtype=np.int64)
    row_len = lengths[rows]
    indptr = np.concatenate([[0], np.cumsum(row_len)])
    total = int(indptr[-1])
    offset = np.arange(total) - np.repeat(indptr[:-1], row_len)
    indices = flat[np.repeat(set_start[:-1][rows], row_len) + offset]
    present = (
        np.array([x is not None for x in sets], dtype=bool)[rows]
        if sets
        else np.zeros(0, dtype=bool)
    )
    data = np.ones(len(indices), dtype=np.float64)
    matrix = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
        shape=(len(tokens), max(1, len(vocabulary))),
    )
    size = np.diff(matrix.indptr).astype(np.float64)
    side = SetSide(matrix=matrix, size=size, present=present)
    if len(vocabulary) <= BITSET_LIMIT:
        words = max(1, (len(vocabulary) + 63) // 64)
        bits = np.zeros(len(tokens) * words, dtype=np.uint64)
        column = matrix.indices.astype(np.int64)
        row = np.repeat(np.arange(len(tokens), dtype=np.int64), np.diff(matrix.indptr))
        # Each (row, value) appears once, so adding the distinct bits is an exact OR.
        np.add.at(
            bits,
            row * words + column // 64,
            np.left_shift(np.uint64(1), (column % 64).astype(np.uint64)),
        )
        side.bits = bits.reshape(len(tokens), words)
    return side


def pair_intersections(
    a: SetSide, b: SetSide, mentees: np.ndarray, mentors: np.ndarray
) -> np.ndarray:
    """|A ∩ B| for aligned pairs, exact (bitsets when the vocabulary is small)."""
    if a.bits is not None and b.bits is not None:
        both = a.bits[mentees] & b.bits[mentors]
        return np.bitwise_count(both).sum(axis=1, dtype=np.int64).astype(np.float64)
    product = a.matrix[mentees].multiply(b.matrix[mentors])
    return np.asarray(product.sum(axis=1), dtype=np.float64).ravel()


def _take(side: Side, rows: np.ndarray | slice) -> Side:
    if isinstance(side, NumberSide):
        return NumberSide(values=side.values[rows])
    taken = SetSide(matrix=side.matrix[rows], size=side.size[rows], present=side.present[rows])
    if side.cached_dense is not None:
        taken.cached_dense = side.cached_dense[rows]
    if side.bits is not None:
        taken.bits = side.bits[rows]
    return taken


def intersections(a: SetSide, b: SetSide) -> np.ndarray:
    """|A ∩ B| for every (row of a, row of b), as exact float64 counts."""
    if a.dense is not None and b.dense is not None:
        # float32 sums of 0/1 are exact below 2**24 values per list.
        return (a.dense @ b.dense.T).astype(np.float64)
    product = a.matrix @ b.matrix.T
    return np.asarray(product.toarray(), dtype=np.float64)


@dataclass
class CriterionModel:
    """A criterion prepared for fast evaluation."""

    criterion: Criterion
    index: int
    scale: float  # pico-points for value 1
    mentee: Side
    mentor: Side
    vocabulary: list[str]
    mentee_has_value: bool
    mentor_has_value: bool
    # Per participant: normalized tokens (set criteria) or the number (range/near); None = missing.
    mentee_tokens: list[object] = field(default_factory=list)
    mentor_tokens: list[object] = field(default_factory=list)

    def evaluate(
        self, mentee: Side, mentor: Side
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Values in [0, 1], pico-point contributions, required-rule success (or None): block."""
        if isinstance(mentee, SetSide) and isinstance(mentor, SetSide):
            inter = intersections(mentee, mentor)
            return self.formula(
                inter,
                mentee.size[:, None],
                mentor.size[None, :],
                mentee.present[:, None],
                mentor.present[None, :],
            )
        assert isinstance(mentee, NumberSide)
        assert isinstance(mentor, NumberSide)
        return self.formula(mentor.values[None, :] - mentee.values[:, None])

    def evaluate_pairs(
        self, mentees: np.ndarray, mentors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Like `evaluate`, for aligned arrays of pairs (one value per pair)."""
        a, b = self.mentee, self.mentor
        if isinstance(a, SetSide) and isinstance(b, SetSide):
            inter = pair_intersections(a, b, mentees, mentors)
            return self.formula(
                inter, a.size[mentees], b.size[mentors], a.present[mentees], b.present[mentors]
            )
        assert isinstance(a, NumberSide)
        assert isinstance(b, NumberSide)
        return self.formula(b.values[mentors] - a.values[mentees])

    def formula(
        self,
        inter_or_difference: np.ndarray,
        size_a: np.ndarray | None = None,
        size_b: np.ndarray | None = None,
        present_a: np.ndarray | None = None,
        present_b: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The criterion's table row in MATCHING.md, on broadcastable arrays."""
        kind = self.criterion.type
        required: np.ndarray | None = None
        scale = np.rint(self.scale)
        if kind in ("overlap", "same", "different", "text"):
            inter = inter_or_difference
            assert size_a is not None
            assert size_b is not None
            assert present_a is not None
            assert present_b is not None
            if kind == "overlap":
                safe = np.maximum(size_a, 1.0)
                value = np.where(size_a > 0, inter / safe, 0.0)
                unit = np.where(size_a > 0, np.rint(self.scale / safe), 0.0)
                contribution = inter * unit
                if self.criterion.required:
                    required = inter >= 1
            elif kind == "same":
                value = (inter > 0).astype(np.float64)
                contribution = value * scale
                if self.criterion.required:
                    required = inter > 0
            elif kind == "different":
                value = (present_a & present_b & (inter == 0)).astype(np.float64)
                contribution = value * scale
                if self.criterion.required:
                    required = inter == 0
            else:  # text: cosine similarity of the two word sets, |A ∩ B| / sqrt(|A| |B|)
                inv_a = np.where(size_a > 0, 1.0 / np.sqrt(np.maximum(size_a, 1.0)), 0.0)
                inv_b = np.where(size_b > 0, 1.0 / np.sqrt(np.maximum(size_b, 1.0)), 0.0)
                value = (inter * inv_a) * inv_b
                contribution = np.rint(value * self.scale)
            return value, contribution, required
        difference = inter_or_difference
        with np.errstate(invalid="ignore"):
            if kind == "range":
                low = -math.inf if self.criterion.min is None else self.criterion.min
                high = math.inf if self.criterion.max is None else self.criterion.max
                ok = (difference >= low) & (difference <= high)
                value = ok.astype(np.float64)
                contribution = value * scale
                if self.criterion.required:
                    required = ok
            else:  # near
                within = float(self.criterion.within or 1.0)
                distance = np.abs(difference)
                value = np.maximum(0.0, 1.0 - distance / within)
                value = np.where(np.isnan(value), 0.0, value)
                contribution = np.rint(value * self.scale)
                if self.criterion.required:
                    required = distance <= within
        return value, contribution, required


def _values(people: Sequence[Participant], attribute: str) -> list[object]:
    if attribute == "@id":
        return [p.id for p in people]
    # dict.get mapped in C: a third faster than a comprehension over 75,000 people.
    return list(map(dict.get, [p.attributes for p in people], repeat(attribute)))


class ScoringModel:
    """All criteria of a problem, prepared for vectorized scoring of mentee x mentor blocks."""

    def __init__(
        self,
        mentees: Sequence[Participant],
        mentors: Sequence[Participant],
        criteria: Sequence[Criterion],
    ) -> None:
        self.n_mentees = len(mentees)
        self.n_mentors = len(mentors)
        self.criteria = list(criteria)
        total_weight = sum(c.weight for c in criteria)
        self.total_weight = total_weight
        self.models: list[CriterionModel] = []
        for index, criterion in enumerate(criteria):
            scale = PICO * criterion.weight / total_weight if total_weight > 0 else 0.0
            mentee_values = _values(mentees, criterion.mentee)
            mentor_values = _values(mentors, criterion.mentor)
            vocabulary: list[str] = []
            mentee_side: Side
            mentor_side: Side
            a_list: list[object]
            b_list: list[object]
            if criterion.type in ("range", "near"):
                a_list = list(mentee_values)
                b_list = list(mentor_values)
                mentee_side = NumberSide(
                    np.array([np.nan if v is None else float(v) for v in mentee_values])  # type: ignore[arg-type]
                )
                mentor_side = NumberSide(
                    np.array([np.nan if v is None else float(v) for v in mentor_values])  # type: ignore[arg-type]
                )
            else:
                tokenize = text_tokens if criterion.type == "text" else value_tokens
                a_tokens = tokenize_all(mentee_values, tokenize)
                b_tokens = tokenize_all(mentor_values, tokenize)
                codes: dict[str, int] = {}
                for items in dict.fromkeys((*a_tokens, *b_tokens)):
                    for item in items or ():
                        codes.setdefault(item, len(codes))
                vocabulary = list(codes)
                mentee_side = _set_side(a_tokens, codes)
                mentor_side = _set_side(b_tokens, codes)
                a_list, b_list = list(a_tokens), list(b_tokens)
            self.models.append(
                CriterionModel(
                    criterion=criterion,
                    index=index,
                    scale=scale,
                    mentee=mentee_side,
                    mentor=mentor_side,
                    vocabulary=vocabulary,
                    mentee_has_value=any(v is not None for v in mentee_values),
                    mentor_has_value=any(v is not None for v in mentor_values),
                    mentee_tokens=a_list,
                    mentor_tokens=b_list,
                )
            )
        self._tables_built = False

    # -- lookup tables -----------------------------------------------------------------------
    def _build_tables(self) -> None:
        """Fold low-cardinality criteria into matrices so a block costs one matrix product."""
        score_left: list[np.ndarray] = []
        score_right: list[np.ndarray] = []
        need_left: list[np.ndarray] = []
        need_right: list[np.ndarray] = []
        self.elementwise: list[CriterionModel] = []
        for model in self.models:
            folded = False
            a, b = model.mentee, model.mentor
            if (
                model.criterion.type == "overlap"
                and not model.criterion.required
                and isinstance(a, SetSide)
                and isinstance(b, SetSide)
                and len(model.vocabulary) <= LINEAR_LIMIT
            ):
                # overlap is linear in the intersection: (indicator * unit) . indicator
                unit = np.where(a.size > 0, np.rint(model.scale / np.maximum(a.size, 1.0)), 0.0)
                score_left.append(a.matrix.toarray() * unit[:, None])
                score_right.append(b.matrix.toarray())
                continue
            for side_name in ("mentee", "mentor"):
                side = model.mentee if side_name == "mentee" else model.mentor
                codes, representatives = _distinct_rows(side)
                if len(representatives) > TABLE_LIMIT:
                    continue
                one_hot = np.zeros((len(codes), len(representatives)))
                one_hot[np.arange(len(codes)), codes] = 1.0
                if side_name == "mentee":
                    _, contribution, required = model.evaluate(
                        _take(model.mentee, representatives), model.mentor
                    )
                    score_left.append(one_hot)
                    score_right.append(contribution.T)
                    if required is not None:
                        need_left.append(one_hot)
                        need_right.append((~required).T.astype(np.float64))
                else:
                    _, contribution, required = model.evaluate(
                        model.mentee, _take(model.mentor, representatives)
                    )
                    score_left.append(contribution)
                    score_right.append(one_hot)
                    if required is not None:
                        need_left.append((~required).astype(np.float64))
                        need_right.append(one_hot)
                folded = True
                break
            if not folded:
                self.elementwise.append(model)
        self.score_left = np.hstack(score_left) if score_left else None
        self.score_right = np.ascontiguousarray(np.hstack(score_right)) if score_right else None
        self.need_left = np.hstack(need_left).astype(np.float32) if need_left else None
        self.need_right = (
            np.ascontiguousarray(np.hstack(need_right).astype(np.float32)) if need_right else None
        )

    # -- evaluation --------------------------------------------------------------------------
    def block(
        self, rows: np.ndarray | slice, cols: np.ndarray | slice
    ) -> tuple[np.ndarray, np.ndarray]:
        """Micro-point scores (float64 holding integers) and required-rule success for a block."""
        if not self._tables_built:
            self._build_tables()
            self._tables_built = True
        n_rows = _length(rows, self.n_mentees)
        n_cols = _length(cols, self.n_mentors)
        if self.score_left is not None and self.score_right is not None:
            total = self.score_left[rows] @ self.score_right[cols].T
        else:
            total = np.zeros((n_rows, n_cols))
        if self.need_left is not None and self.need_right is not None:
            ok = (self.need_left[rows] @ self.need_right[cols].T) < 0.5
        else:
            ok = np.ones((n_rows, n_cols), dtype=bool)
        for model in self.elementwise:
            a, b = model.mentee, model.mentor
            kind = model.criterion.type
            if (
                kind == "different"
                and isinstance(a, SetSide)
                and isinstance(b, SetSide)
                and (a.dense is None or b.dense is None)
            ):
                # Sparse intersections (e.g. "not my manager" against @id): touch only the hits.
                a_rows, b_cols = _take(a, rows), _take(b, cols)
                hits = (a_rows.matrix @ b_cols.matrix.T).tocoo()  # type: ignore[union-attr]
                scale = np.rint(model.scale)
                if scale:
                    total += scale * np.outer(a_rows.present, b_cols.present)  # type: ignore[union-attr]
                    total[hits.row, hits.col] -= scale
                if model.criterion.required:
                    ok[hits.row, hits.col] = False
                continue
            _, contribution, required = model.evaluate(
                _take(model.mentee, rows), _take(model.mentor, cols)
            )
            total += contribution
            if required is not None:
                ok &= required
        micro = np.floor((total + MICRO_PER_PICO / 2) / MICRO_PER_PICO)
        return micro, ok

    def pairs(
        self, mentees: np.ndarray, mentors: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For aligned pair arrays: micro-point scores, required success, values, contributions.

        `values` and `contributions` have one column per criterion, in criterion order.
        """
        count = len(mentees)
        values = np.zeros((count, len(self.models)))
        contributions = np.zeros((count, len(self.models)))
        ok = np.ones(count, dtype=bool)
        for model in self.models:
            value, contribution, required = model.evaluate_pairs(mentees, mentors)
            values[:, model.index] = value
            contributions[:, model.index] = contribution
            if required is not None:
                ok &= required
        total = contributions.sum(axis=1) if self.models else np.zeros(count)
        micro = np.floor((total + MICRO_PER_PICO / 2) / MICRO_PER_PICO)
        return micro, ok, values, contributions

    def scores(
        self, mentees: np.ndarray, mentors: np.ndarray, chunk: int = 1 << 17
    ) -> tuple[np.ndarray, np.ndarray]:
        """Micro-point scores and required success of aligned pairs (as `pairs`, less memory).

        Contributions are whole pico-points, so their float64 sum is exact in any order and
        equals `pairs`' to the bit; pairs are done in chunks without per-criterion tables.
        """
        count = len(mentees)
        micro = np.empty(count)
        ok = np.ones(count, dtype=bool)
        for start in range(0, count, chunk):
            a, b = mentees[start : start + chunk], mentors[start : start + chunk]
            total = np.zeros(len(a))
            for model in self.models:
                _, contribution, required = model.evaluate_pairs(a, b)
                total += contribution
                if required is not None:
                    ok[start : start + chunk] &= required
            micro[start : start + chunk] = np.floor((total + MICRO_PER_PICO / 2) / MICRO_PER_PICO)
        return micro, ok

    def required_failures(
        self, rows: np.ndarray | slice, cols: np.ndarray | slice
    ) -> dict[str, np.ndarray]:
        """For a block, which pairs fail each required criterion (criterion name -> bool block)."""
        failures: dict[str, np.ndarray] = {}
        for model in self.models:
            if not model.criterion.required:
                continue
            _, _, required = model.evaluate(_take(model.mentee, rows), _take(model.mentor, cols))
            assert required is not None
            failures[model.criterion.name] = ~required
        return failures


def _length(index: np.ndarray | slice, size: int) -> int:
    if isinstance(index, slice):
        return len(range(*index.indices(size)))
    return len(index)


def _distinct_rows(side: Side) -> tuple[np.ndarray, np.ndarray]:
    """Code per participant and one representative row per distinct value."""
    if isinstance(side, NumberSide):
        keys = np.where(np.isnan(side.values), np.inf, side.values)
        _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
        return codes.ravel(), first
    # Each row as (present, its value codes ascending, padded with -1): equal rows are equal
    # values. Codes are numbered by first appearance, as the representatives are ordered.
    matrix = side.matrix
    rows = matrix.shape[0]
    if rows == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lengths = np.diff(matrix.indptr)
    width = int(lengths.max())
    keys = np.full((rows, width + 1), -1, dtype=np.int64)
    keys[:, 0] = side.present
    row = np.repeat(np.arange(rows), lengths)
    keys[row, 1 + np.arange(len(row)) - np.repeat(matrix.indptr[:-1], lengths)] = np.sort(
        matrix.indices.astype(np.int64) + (row << 32)
    ) - (row << 32)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.ravel()], np.sort(first)
