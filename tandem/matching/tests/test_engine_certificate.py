"""The pruning certificate and the fast scan, under stress.

`total` and `fair` keep only a few candidates per person and prove the rest cannot matter. These
tests shrink the candidate lists to 1-3 so that the certificate does nearly all the work, on
instances built to break it: many ties, skewed popularity (everyone wants the same few mentors),
required rules that block most pairs, a score floor, forbidden pairs and pins. Every answer is
compared with dense exact references (scipy's linear_sum_assignment and a bottleneck search over
all pairs). The fast scan's error bound and its exact required-rule masks are checked directly.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from tandem.matching.engine import bipartite, candidates, fastscan, parse_problem, scoring, solve
from tandem.matching.engine.fastscan import FastScorer
from tandem.matching.engine.problem import Problem
from tandem.matching.engine.scoring import ScoringModel


@pytest.fixture(autouse=True)
def _tandem_test_settings():
    """The engine needs no Django: this stands in for the suite-wide settings fixture."""


LANGS = ["en", "fr", "de", "es", "pt", "ja", "zh", "ko"]
WORDS = [f"w{k}" for k in range(30)]


def stress_document(rng: random.Random, n: int, m: int, kind: str, objective: str) -> dict:
    """Random cohorts shaped to stress the certificate (see module docstring)."""
    skills = [f"s{k}" for k in range(12)]
    popular = skills[:2]

    def mentee(i: int) -> dict:
        wants = popular if kind == "skewed" else rng.sample(skills, rng.randint(1, 3))
        return {
            "id": f"e{i:03d}",
            "capacity": 1 if objective == "stable" else rng.choice([1, 1, 2]),
            "attributes": {
                "wants": wants,
                "lang": rng.sample(LANGS, rng.randint(1, 2)),
                "tz": rng.randint(-8, 8),
                "level": rng.randint(1, 3) if kind == "ties" else rng.randint(1, 6),
                "team": rng.choice(["a", "b", "c"]),
                "about": " ".join(rng.sample(WORDS, rng.randint(2, 6))),
                "years": rng.uniform(0, 20),
                "managers": [f"r{rng.randrange(m):03d}"],
            },
        }

    def mentor(j: int) -> dict:
        offers = (
            popular
            if kind == "skewed" and j < max(1, m // 10)
            else rng.sample(skills, rng.randint(1, 4))
        )
        return {
            "id": f"r{j:03d}",
            "capacity": rng.choice([0, 1, 1, 2, 3]),
            "attributes": {
                "offers": offers,
                "lang": rng.sample(LANGS, rng.randint(1, 3)),
                "tz": rng.randint(-8, 8),
                "level": rng.randint(1, 3) if kind == "ties" else rng.randint(2, 9),
                "team": rng.choice(["a", "b", "c"]),
                "about": " ".join(rng.sample(WORDS, rng.randint(2, 6))),
                "years": rng.uniform(5, 30),
            },
        }

    if kind == "ties":  # few distinct scores: only coarse criteria
        criteria = [
            {"name": "same team", "type": "same", "mentee": "team", "mentor": "team"},
            {"name": "level", "type": "range", "mentee": "level", "mentor": "level", "min": 0},
        ]
    else:
        criteria = [
            {
                "name": "skills",
                "type": "overlap",
                "mentee": "wants",
                "mentor": "offers",
                "weight": 3,
            },
            {"name": "about", "type": "text", "mentee": "about", "mentor": "about"},
            {
                "name": "team",
                "type": "different",
                "mentee": "team",
                "mentor": "team",
                "weight": 0.5,
            },
            {
                "name": "level",
                "type": "range",
                "mentee": "level",
                "mentor": "level",
                "min": 1,
                "max": 4,
            },
            {"name": "years", "type": "near", "mentee": "years", "mentor": "years", "within": 9},
        ]
    criteria += [
        {
            "name": "language",
            "type": "same",
            "mentee": "lang",
            "mentor": "lang",
            "required": kind in ("blocked", "ties", "skewed"),
            "weight": 0.5,
        },
        {
            "name": "tz",
            "type": "near",
            "mentee": "tz",
            "mentor": "tz",
            "within": 2 if kind == "blocked" else 6,
            "required": kind != "plain",
        },
        {
            "name": "manager",
            "type": "different",
            "mentee": "managers",
            "mentor": "@id",
            "required": True,
            "weight": 0.2,
        },
    ]
    mentees = [mentee(i) for i in range(n)]
    mentors = [mentor(j) for j in range(m)]
    document: dict = {
        "objective": objective,
        "mentees": mentees,
        "mentors": mentors,
        "criteria": criteria,
    }
    if kind == "floor":
        document["min_score"] = 0.35
    if kind in ("floor", "plain"):
        pairs = {(rng.randrange(n), rng.randrange(m)) for _ in range(n // 2)}
        document["forbidden"] = [[mentees[i]["id"], mentors[j]["id"]] for i, j in sorted(pairs)]
    return document


def dense_allowed(document: dict) -> tuple[np.ndarray, np.ndarray]:
    """Exact micro-point scores and allowed-ness of every pair (the engine's exact scorer)."""
    problem = parse_problem(document)
    model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
    score, ok = model.block(slice(None), slice(None))
    ok &= score >= round(problem.min_score * 1e6)
    index_e = {p.id: i for i, p in enumerate(problem.mentees)}
    index_r = {p.id: j for j, p in enumerate(problem.mentors)}
    for a, b in problem.forbidden:
        ok[index_e[a], index_r[b]] = False
    return score.astype(np.int64), ok


def slots(document: dict) -> tuple[np.ndarray, np.ndarray]:
    rows = np.repeat(
        np.arange(len(document["mentees"])), [p["capacity"] for p in document["mentees"]]
    )
    cols = np.repeat(
        np.arange(len(document["mentors"])), [p["capacity"] for p in document["mentors"]]
    )
    return rows, cols


def best_total(
    score: np.ndarray, ok: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> tuple[int, int]:
    """Most pairs, then the largest sum, over all allowed pairs (slot expansion).

    Slot expansion could pair one mentee slot twice with the same mentor, so the callers keep
    mentee capacities at 1.
    """
    bonus = 10.0**9
    matrix = np.where(ok[np.ix_(rows, cols)], score[np.ix_(rows, cols)] + bonus, 0.0)
    r, c = linear_sum_assignment(matrix, maximize=True)
    used = matrix[r, c] > 0
    return int(used.sum()), round(float((matrix[r, c][used] - bonus).sum()))


def bottleneck(
    score: np.ndarray, ok: np.ndarray, rows: np.ndarray, cols: np.ndarray, size: int
) -> int:
    allowed = ok[np.ix_(rows, cols)]
    values = np.unique(score[ok])
    low, high = 0, len(values) - 1
    while low < high:
        middle = (low + high + 1) // 2
        graph = csr_matrix(allowed & (score[np.ix_(rows, cols)] >= values[middle]))
        matched = int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())
        if matched >= size:
            low = middle
        else:
            high = middle - 1
    return int(values[low])


KINDS = ["plain", "ties", "skewed", "blocked", "floor"]


def open_context(
    problem: Problem,
    *,
    mentee_usable: np.ndarray | None = None,
    mentor_usable: np.ndarray | None = None,
    min_score: float = 0.0,
) -> candidates.Context:
    """A scan context with nobody forbidden or pinned (everyone usable unless told)."""
    n, m = len(problem.mentees), len(problem.mentors)
    return candidates.Context(
        n_mentees=n,
        n_mentors=m,
        mentee_usable=np.ones(n, dtype=bool) if mentee_usable is None else mentee_usable,
        mentor_usable=np.ones(m, dtype=bool) if mentor_usable is None else mentor_usable,
        forbidden_keys=np.zeros(0, dtype=np.int64),
        pinned_keys=np.zeros(0, dtype=np.int64),
        min_score=min_score,
    )


def open_source(problem: Problem) -> tuple[ScoringModel, candidates.PairSource]:
    """The problem's scoring model and a pair source over it, everyone usable."""
    model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
    return model, candidates.PairSource(open_context(problem), model=model)


def unfloored_problem(
    seed: int, kind: str, objective: str
) -> tuple[Problem, ScoringModel, np.ndarray, np.ndarray]:
    """A stress cohort without score floor or forbidden pairs: problem, model, who has room."""
    document = stress_document(random.Random(seed), 80, 50, kind, objective)
    document.pop("min_score", None)
    document.pop("forbidden", None)
    problem = parse_problem(document)
    model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
    usable_e = np.array([p.capacity > 0 for p in problem.mentees])
    usable_r = np.array([p.capacity > 0 for p in problem.mentors])
    return problem, model, usable_e, usable_r


@pytest.mark.parametrize("keep", [1, 3])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_total_with_tiny_candidate_lists_matches_dense_optimum(monkeypatch, keep, kind, seed):
    monkeypatch.setattr(bipartite, "KEEP", keep)
    monkeypatch.setattr(candidates, "CAP", [1, 3, 1000][seed])  # suspects capped per round
    monkeypatch.setattr(bipartite, "ACTIVE_SLACK", [0.0, 50_000.0, 1e18][seed])  # later flows
    if seed == 2:
        monkeypatch.setattr(fastscan, "MAX_GROUPS", 1)  # required rules as per-block masks
    if seed >= 1:  # suspects through rescans and remembered rows, not pair by pair
        monkeypatch.setattr(candidates, "REFINED", 2 * seed - 1)  # few remembered pairs
    rng = random.Random(1000 * seed + keep)
    document = stress_document(rng, 70, 45, kind, "total")
    for person in document["mentees"]:
        person["capacity"] = 1
    score, ok = dense_allowed(document)
    rows, cols = slots(document)
    count, total = best_total(score, ok, rows, cols)
    result = solve(parse_problem(document))
    assert result["stats"]["optimal"] is True
    assert result["stats"]["matched"] == count
    assert sum(round(m["score"] * 1e6) for m in result["matches"]) == total


@pytest.mark.parametrize("keep", [1, 3])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(2))
def test_fair_with_tiny_candidate_lists_matches_dense_bottleneck(monkeypatch, keep, kind, seed):
    monkeypatch.setattr(bipartite, "KEEP", keep)
    monkeypatch.setattr(candidates, "CAP", [1, 1000][seed])  # suspects capped per round
    monkeypatch.setattr(bipartite, "ACTIVE_SLACK", [0.0, 50_000.0][seed])  # later flows
    if seed == 1:
        monkeypatch.setattr(candidates, "REFINED", 1)  # few remembered pairs
    rng = random.Random(2000 * seed + keep)
    document = stress_document(rng, 60, 40, kind, "fair")
    for person in document["mentees"]:
        person["capacity"] = 1
    score, ok = dense_allowed(document)
    rows, cols = slots(document)
    count, _ = best_total(score, ok, rows, cols)
    result = solve(parse_problem(document))
    assert result["stats"]["optimal"] is True
    assert result["stats"]["matched"] == count
    if count == 0:
        return
    floor = bottleneck(score, ok, rows, cols, count)
    assert round(result["stats"]["min_score"] * 1e6) == floor
    restricted_count, restricted_total = best_total(score, ok & (score >= floor), rows, cols)
    assert restricted_count == count
    assert sum(round(m["score"] * 1e6) for m in result["matches"]) == restricted_total


@pytest.mark.parametrize("max_groups", [1024, 2])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_fast_scan_is_within_its_error_bound_and_exact_on_required_rules(
    monkeypatch, max_groups, kind, seed
):
    """max_groups 2 forces required rules out of the grouping into per-block masks."""
    monkeypatch.setattr(fastscan, "MAX_GROUPS", max_groups)
    rng = random.Random(seed)
    document = stress_document(rng, 90, 50, kind, "total")
    problem = parse_problem(document)
    model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
    exact, required = model.block(slice(None), slice(None))
    fast = FastScorer(model)
    covered = np.zeros(exact.shape, dtype=bool)
    for group in fast.groups:
        if len(group.rows) == 0 or len(group.cols) == 0:
            continue
        approx, ok = fast.block(group.rows, group.cols)
        sub = np.ix_(group.rows, group.cols)
        assert np.all(np.abs(approx.astype(np.float64) - exact[sub]) <= fast.eps)
        assert np.array_equal(ok, required[sub])
        assert not covered[sub].any()  # each mentee is in exactly one group
        covered[sub] = ok
    # Outside the groups, no pair passes the required rules.
    assert np.array_equal(covered, required)


def test_many_equal_scores_keep_the_certificate(monkeypatch):
    """Every allowed pair scores the same: pruned pairs tie with kept ones everywhere."""
    monkeypatch.setattr(bipartite, "KEEP", 1)
    rng = random.Random(7)
    document = stress_document(rng, 80, 30, "ties", "total")
    document["criteria"] = [c for c in document["criteria"] if c.get("required")]
    for person in document["mentees"]:
        person["capacity"] = 1
    score, ok = dense_allowed(document)
    rows, cols = slots(document)
    count, total = best_total(score, ok, rows, cols)
    for objective in ("total", "fair"):
        result = solve(parse_problem(dict(document, objective=objective)))
        assert result["stats"]["optimal"] is True
        assert result["stats"]["matched"] == count
        if objective == "total":
            assert sum(round(m["score"] * 1e6) for m in result["matches"]) == total


@pytest.mark.parametrize("refined", [0, 2, 64])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_suspects_include_every_pruned_pair_above_the_level(monkeypatch, refined, kind, seed):
    """The certificate's suspects (approximate prefilter included) cover every real violator,
    once each, whether they come from re-scored prefixes (no pairs remembered beyond the
    candidates) or from the pairs each mentee remembers from the scan, or both."""
    monkeypatch.setattr(candidates, "CAP", 10**9)
    monkeypatch.setattr(candidates, "REFINED", refined)
    problem, model, usable_e, usable_r = unfloored_problem(3000 + seed, kind, "total")
    n, m = len(problem.mentees), len(problem.mentors)
    context = open_context(problem, mentee_usable=usable_e, mentor_usable=usable_r)
    source = candidates.PairSource(context, model=model)
    kept = source.scan(1 + seed)
    exact, ok = model.block(slice(None), slice(None))
    ok &= usable_e[:, None] & usable_r[None, :]
    ok[kept.mentee, kept.mentor] = False  # only pruned pairs need the certificate
    nprng = np.random.default_rng(seed)
    for _ in range(3):  # later rounds go through the remembered rows
        row_level = nprng.uniform(0, 6e5, n)
        col_level = nprng.uniform(-1e5, 2e5, m)
        col_level[nprng.random(m) < 0.2] = np.inf
        found = np.zeros((n, m), dtype=bool)
        yielded = 0
        for mentee, mentor in source.suspects(kept, row_level, col_level):
            found[mentee, mentor] = True
            yielded += len(mentee)
        assert yielded == found.sum()  # no pair twice (re-scored and remembered ones apart)
        violators = ok & (exact > row_level[:, None] + col_level[None, :])
        assert violators.any() or kind == "ties"
        assert not (violators & ~found).any()
        # The approximate prefilter leaves out the pairs that clearly cannot violate.
        near = exact + 2 * source.fast().eps > row_level[:, None] + col_level[None, :]
        assert not (found & ~near & ok).any()


@pytest.mark.parametrize("kind", KINDS)
def test_capped_suspects_take_the_most_promising_pairs_per_mentee(monkeypatch, kind):
    """With more suspects than CAP, a mentee yields only its CAP best and is counted as capped.
    (Capping is for re-scored prefixes: nothing remembered here. A mentee's remembered pairs,
    REFINED = CAP of them, are examined all at once.)"""
    monkeypatch.setattr(candidates, "CAP", 2)
    monkeypatch.setattr(candidates, "REFINED", 0)
    rng = random.Random(4000)
    document = stress_document(rng, 80, 50, kind, "total")
    problem = parse_problem(document)
    model, source = open_source(problem)
    n, m = len(problem.mentees), len(problem.mentors)
    kept = source.scan(1)
    row_level = np.zeros(n)
    col_level = np.zeros(m)
    chunks = list(source.suspects(kept, row_level, col_level))
    mentee = np.concatenate([i for i, _ in chunks])
    mentor = np.concatenate([j for _, j in chunks])
    assert source.capped > 0
    assert np.bincount(mentee, minlength=n).max() <= 2
    # A capped mentee's pairs are pruned ones, and (approximately) its best pruned ones.
    exact, ok = model.block(slice(None), slice(None))
    ok[kept.mentee, kept.mentor] = False
    eps = source.fast().eps
    checked = 0
    for i in np.unique(mentee).tolist():
        if ok[i].sum() <= 2:
            continue  # not capped
        checked += 1
        assert ok[i, mentor[mentee == i]].all()
        mine = exact[i, mentor[mentee == i]]
        others = exact[i][ok[i]]
        assert mine.min() + 2 * eps >= np.sort(others)[-len(mine)]
    assert checked > 0
    # add_violators reports the capped mentees, so the caller keeps going.
    assert source.add_violators(kept, row_level, col_level) >= source.capped > 0


@pytest.mark.parametrize("jitter", [fastscan.JITTER, 0.0])
def test_tied_mentors_are_spread_over_the_mentees_candidates(monkeypatch, jitter):
    """Equal scores everywhere: the scan's jitter gives mentees different tied candidates."""
    monkeypatch.setattr(fastscan, "JITTER", jitter)
    rng = random.Random(11)
    document = stress_document(rng, 80, 40, "ties", "total")
    document["criteria"] = [{"name": "team", "type": "same", "mentee": "team", "mentor": "team"}]
    problem = parse_problem(document)
    model, source = open_source(problem)
    n, m = len(problem.mentees), len(problem.mentors)
    kept = source.scan(1)
    exact, _ = model.block(slice(None), slice(None))
    # Each mentee's kept mentors include one of its best; the bound covers the rest.
    for i in range(n):
        mine = kept.mentor[kept.mentee == i]
        assert exact[i, mine].max() == exact[i].max()
        assert kept.row_bound[i] >= np.sort(exact[i])[-2]
    best = {(i, int(j)) for i, j in zip(kept.mentee.tolist(), kept.mentor.tolist(), strict=True)}
    spread = len({j for _, j in best})
    if jitter:
        assert spread >= m // 2


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(2))
def test_scan_counts_allowed_pairs_and_keeps_only_usable_ones(kind, seed):
    """Allowed-pair counts (any capacity) and kept pairs (usable, not pinned) match dense truth."""
    rng = random.Random(5000 + seed)
    document = stress_document(rng, 70, 45, kind, "total")
    document["pinned"] = [[document["mentees"][0]["id"], document["mentors"][1]["id"]]]
    document["mentors"][1]["capacity"] = 2
    score, ok = dense_allowed(document)
    problem = parse_problem(document)
    model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
    n, m = len(problem.mentees), len(problem.mentors)
    index_e = {p.id: i for i, p in enumerate(problem.mentees)}
    index_r = {p.id: j for j, p in enumerate(problem.mentors)}
    forbidden = np.unique(
        np.array([index_e[a] * m + index_r[b] for a, b in problem.forbidden], dtype=np.int64)
    )
    usable_e = np.array([p.capacity for p in problem.mentees]) > 0
    usable_r = np.array([p.capacity for p in problem.mentors]) > 0
    usable_e[0] = document["mentees"][0]["capacity"] > 1  # the pin takes one place
    context = candidates.Context(
        n_mentees=n,
        n_mentors=m,
        mentee_usable=usable_e,
        mentor_usable=usable_r,
        forbidden_keys=forbidden,
        pinned_keys=np.array([0 * m + 1], dtype=np.int64),
        min_score=round(problem.min_score * 1e6),
    )
    kept = candidates.PairSource(context, model=model).scan(2)
    assert np.array_equal(kept.allowed_per_mentee, ok.sum(axis=1))
    assert np.array_equal(kept.allowed_per_mentor, ok.sum(axis=0))
    usable = ok & usable_e[:, None] & usable_r[None, :]
    usable[0, 1] = False
    assert usable[kept.mentee, kept.mentor].all()
    assert np.array_equal(kept.score, score[kept.mentee, kept.mentor])


def test_column_tops_sort_packed_and_exact_agree():
    """Packed int64 keys order entries like the exact sort; values only ever round up."""
    rng = np.random.default_rng(3)
    count, m, n = 5000, 300, 900
    cols = rng.integers(0, m, count)
    rows = rng.permutation(n * m)[:count] % n  # distinct (row, col) pairs mostly
    values = (rng.integers(-20, 10**6, count) + rng.integers(0, 16, count) / 16).astype(np.float32)
    values[::7] = values[1::7][: len(values[::7])]  # ties
    tops = candidates._ColumnTops(m, 5, n)
    r1, c1, v1 = tops._sorted(rows, cols, values)
    order = np.lexsort((rows, -values.astype(np.float64), cols))
    assert np.array_equal(c1, cols[order])
    exact = values[order].astype(np.float64)
    assert np.all(v1 >= exact)
    assert np.all(v1 - exact < 1 / 16)
    # Within a mentor: values descending, equal (rounded) values by mentee.
    same = c1[1:] == c1[:-1]
    assert np.all(v1[1:][same] <= v1[:-1][same])
    tied = same & (v1[1:] == v1[:-1])
    assert np.all(r1[1:][tied] > r1[:-1][tied])
    # A sorted head (the last compaction's entries) and new entries: the same order.
    more = rng.integers(0, count, 700)
    r3, c3, v3 = (np.concatenate([x, y[more]]) for x, y in ((r1, rows), (c1, cols), (v1, values)))
    whole = tops._sorted(r3, c3, v3)
    merged = tops._sorted(r3, c3, v3, presorted=len(r1))
    for x, y in zip(whole, merged, strict=True):
        assert np.array_equal(x, y)
    wide = candidates._ColumnTops(m, 5, 1 << 40)  # too many bits to pack: exact path
    r2, c2, v2 = wide._sorted(rows, cols, values)
    assert np.array_equal(r2, rows[order])
    assert np.array_equal(c2, cols[order])
    assert np.array_equal(v2, values[order])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(30, 7), (25, 90), (40, 400), (3, 5000), (0, 300), (4, 0)])
def test_row_tops_keep_each_rows_best_values_and_the_best_left_out(shape, dtype):
    """row_tops against a plain sort of every row: the same kept values, best first and equal
    values by column, and the same largest value left out; NEG cells are never kept. Ties,
    -0.0, rows of NEG only and rows with fewer allowed cells than `keep` are all present."""
    rng = np.random.default_rng(sum(shape) + (dtype == np.float32))
    rows, cols = shape
    values = rng.integers(-50, 400, size=shape).astype(dtype)  # many ties
    values[rng.random(shape) < 0.4] = candidates.NEG
    if rows > 2:
        values[0] = candidates.NEG
        values[1, :] = candidates.NEG
        values[1, 2:4] = 0.0
        values[1, :2] = -0.0  # equal to 0.0: ordered by column
        values[2, : cols // 2] = candidates.NEG  # allowed cells in the last chunks only
    keep = 12
    top_r, top_c, top_v, left_out = candidates.row_tops(values, keep)
    assert np.array_equal(values[top_r, top_c], top_v)
    for r in range(rows):
        allowed = np.flatnonzero(values[r] > candidates.NEG)
        order = allowed[np.lexsort((allowed, -values[r, allowed]))]
        mine = top_r == r
        assert np.array_equal(top_c[mine], order[:keep])
        expected = values[r, order[keep]] if len(order) > keep else candidates.NEG
        assert left_out[r] == expected
    assert np.all(np.diff(top_r) >= 0)


def test_in_order_pipeline_keeps_order_and_raises():
    """Blocks computed ahead in a worker thread come back in input order; errors propagate."""
    assert list(candidates._in_order(lambda x: x * x, iter(range(50)))) == [
        x * x for x in range(50)
    ]
    assert list(candidates._in_order(lambda x: x, iter([]))) == []

    def fail(x: int) -> int:
        if x == 7:
            raise ValueError("block 7")
        return x

    with pytest.raises(ValueError, match="block 7"):
        list(candidates._in_order(fail, iter(range(20))))


@pytest.mark.parametrize("kind", KINDS)
def test_scan_in_lanes_keeps_each_persons_best_and_valid_bounds(monkeypatch, kind):
    """However many lanes share the blocks: the same per-mentee results, every mentor keeps its
    best pairs, every pruned allowed pair is under both its bounds, and a second run is the same.
    """
    rng = random.Random(7100)
    document = stress_document(rng, 90, 50, kind, "total")
    document.pop("forbidden", None)  # the context forbids nothing
    score, ok = dense_allowed(document)
    problem = parse_problem(document)
    context = open_context(problem, min_score=round(problem.min_score * 1e6))
    monkeypatch.setattr(candidates, "BLOCK_CELLS", 200)  # many small blocks
    keep = 3
    eps = FastScorer(ScoringModel(problem.mentees, problem.mentors, problem.criteria)).eps
    results = []
    for lanes in (1, 2, 3, 3):
        monkeypatch.setattr(candidates, "SCAN_LANES", lanes)
        model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
        result = candidates.PairSource(context, model=model).scan(keep)
        kept = np.zeros(ok.shape, dtype=bool)
        kept[result.mentee, result.mentor] = True
        assert ok[kept].all()
        pruned = ok & ~kept
        rows, cols = np.nonzero(pruned)
        assert np.all(score[rows, cols] <= result.row_bound[rows])
        assert np.all(score[rows, cols] <= result.col_bound[cols])
        # A mentor's kept pairs are within eps of its best (approximate scores pick them).
        for j in range(ok.shape[1]):
            allowed = np.sort(score[ok[:, j], j])[::-1]
            if len(allowed):
                assert kept[:, j].sum() >= min(keep, len(allowed))
                best_kept = np.sort(score[kept[:, j], j])[::-1][: min(keep, len(allowed))]
                assert np.all(best_kept >= allowed[: len(best_kept)] - 2 * eps)
        results.append(result)
    for other in results[1:]:
        for name in ("row_bound", "allowed_per_mentee", "allowed_per_mentor"):
            assert np.array_equal(getattr(results[0], name), getattr(other, name))
    for name in ("mentee", "mentor", "score", "row_bound", "col_bound"):
        assert np.array_equal(getattr(results[2], name), getattr(results[3], name))


def test_merged_column_tops_bound_what_either_stream_let_go():
    """One stream lets go of tied values at its block's (keep + 1)-th best and keeps nothing;
    the other keeps one lower value. After the merge, the mentor's bound still covers the
    values let go."""
    first = candidates._ColumnTops(1, 2, 16)
    first.add(np.array([[1.0]], dtype=np.float32), np.array([4]), np.array([0]))
    second = candidates._ColumnTops(1, 2, 16)
    second.add(np.full((4, 1), 5.0, dtype=np.float32), np.arange(4), np.array([0]))
    first.merge(second)
    rows, _, bound = first.finish(0.5)
    assert rows.tolist() == [4]
    assert bound[0] >= 5.0 + 0.5


@pytest.mark.parametrize("kind", KINDS)
def test_scan_keeps_the_same_candidates_whether_or_not_it_remembers_pairs(kind):
    """Remembering more pairs per mentee (for the certificate) changes no candidate or bound."""
    problem = parse_problem(stress_document(random.Random(7300), 90, 50, kind, "total"))
    context = open_context(problem, min_score=round(problem.min_score * 1e6))
    results = []
    for remember in (True, False):
        model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
        results.append(candidates.PairSource(context, model=model).scan(3, remember=remember))
    for name in ("mentee", "mentor", "score", "row_bound", "col_bound", "allowed_per_mentee"):
        assert np.array_equal(getattr(results[0], name), getattr(results[1], name))


def test_blocks_are_shared_out_to_lanes_once_each():
    """Every block goes to exactly one lane, by its number; together they are all the blocks."""
    rng = random.Random(7200)
    problem = parse_problem(stress_document(rng, 60, 40, "blocked", "total"))
    fast = FastScorer(ScoringModel(problem.mentees, problem.mentors, problem.criteria))
    whole = [(tuple(r), tuple(c)) for r, c, _ in fast.blocks(150)]
    assert len(whole) > 6
    for lanes in (2, 3):
        shares = [
            [(tuple(r), tuple(c)) for r, c, _ in fast.blocks(150, k, lanes)] for k in range(lanes)
        ]
        for k, share in enumerate(shares):
            assert share == whole[k::lanes]


def test_suspects_in_many_threaded_blocks_match_one_block(monkeypatch):
    """Prefix blocks scored ahead in a worker thread yield the same suspects as one block."""
    monkeypatch.setattr(candidates, "CAP", 10**9)
    monkeypatch.setattr(candidates, "REFINED", 0)  # nothing remembered: every prefix re-scored
    calls: list[int] = []
    real = candidates._in_order

    def counted(work, items):
        calls.append(len(items) if isinstance(items, list) else 0)  # prefix blocks: a list
        return real(work, items)

    monkeypatch.setattr(candidates, "_in_order", counted)
    for kind in KINDS:
        rng = random.Random(7200)
        document = stress_document(rng, 80, 50, kind, "total")
        problem = parse_problem(document)
        n, m = len(problem.mentees), len(problem.mentors)
        context = open_context(problem)
        nprng = np.random.default_rng(11)
        row_level = nprng.uniform(-2e5, 2e5, n)  # low levels: many suspects per group
        col_level = nprng.uniform(-1e5, 1e5, m)
        found = []
        for chunk in (10**9, 7):  # one block per prefix width, or blocks of a row or two
            model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
            source = candidates.PairSource(context, model=model)
            kept = source.scan(1)
            pairs = [
                (i, j)
                for mentee, mentor in source.suspects(kept, row_level, col_level, chunk=chunk)
                for i, j in zip(mentee.tolist(), mentor.tolist(), strict=True)
            ]
            found.append(sorted(pairs))
        assert found[1] == found[0]
        assert found[0]
    assert any(count > 1 for count in calls)  # the threaded path did run


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(3))
def test_rows_above_leaves_out_only_pairs_at_or_below_the_level(monkeypatch, kind, seed):
    """Stable's whole rows: every usable allowed pair scoring above its mentor's level is there
    with its exact score; what is left out scores at or below the level; small chunks agree."""
    problem, model, _, usable_r = unfloored_problem(4000 + seed, kind, "stable")
    n, m = len(problem.mentees), len(problem.mentors)
    context = open_context(problem, mentor_usable=usable_r)
    exact, ok = model.block(slice(None), slice(None))
    ok &= usable_r[None, :]
    nprng = np.random.default_rng(seed)
    # Levels: none (every pair), random, and at or just below some allowed pair's score.
    level = nprng.uniform(-2e5, 8e5, m)
    level[nprng.random(m) < 0.3] = -np.inf
    for j in np.flatnonzero(ok.any(axis=0) & (nprng.random(m) < 0.4)):
        # At a pair's score (it may be left out) or one micro-point below it (it must stay).
        level[j] = exact[nprng.choice(np.flatnonzero(ok[:, j])), j] - nprng.integers(0, 2)
    exactly = np.isin(level, exact[ok]) | np.isin(level + 1, exact[ok])
    mentees = sorted(nprng.choice(n, 40, replace=False).tolist(), key=lambda _: nprng.random())
    source = candidates.PairSource(context, model=model)
    whole = candidates.rows_above(source, mentees, level)
    monkeypatch.setattr(candidates, "BLOCK_CELLS", 3 * m)  # three mentees a chunk
    chunked = candidates.rows_above(candidates.PairSource(context, model=model), mentees, level)
    assert exactly.any()
    for i, (mentors, scores), (mentors_2, scores_2) in zip(mentees, whole, chunked, strict=True):
        assert np.array_equal(mentors, mentors_2)
        assert np.array_equal(scores, scores_2)
        assert np.all(np.diff(mentors) > 0)
        assert np.all(ok[i, mentors])
        assert np.array_equal(scores, exact[i, mentors].astype(np.int64))
        above = np.flatnonzero(ok[i] & (exact[i] > level))
        assert np.all(np.isin(above, mentors))


@pytest.mark.parametrize("seed", range(3))
def test_distinct_rows_number_values_by_first_appearance(seed):
    """Participants with equal values (missing, empty and list order included) share a code;
    codes are numbered by first appearance and each representative is that first participant."""
    rng = random.Random(seed)
    values: list[list[str] | None] = []
    for _ in range(200):
        roll = rng.random()
        if roll < 0.1:
            values.append(None)
        elif roll < 0.15:
            values.append([])
        else:
            values.append(rng.sample(["a", "b", "c", "d", "e", "f"], rng.randint(1, 3)))
    tokens = scoring.tokenize_all(values, scoring.value_tokens)
    vocabulary = {t: k for k, t in enumerate("abcdef")}
    codes, representatives = scoring._distinct_rows(scoring._set_side(tokens, vocabulary))
    keys = [None if v is None else frozenset(v) for v in values]
    first: dict[object, int] = {}
    for index, key in enumerate(keys):
        first.setdefault(key, index)
    order = sorted(first.values())
    assert representatives.tolist() == order
    assert codes.tolist() == [order.index(first[key]) for key in keys]


@pytest.mark.parametrize("shape", [(7, 13), (1, 40), (40, 1), (0, 5), (5, 0)])
def test_cells_are_the_true_cells_in_row_major_order(shape):
    mask = np.random.default_rng(sum(shape)).random(shape) < 0.3
    rows, cols = candidates.cells(mask)
    expected_rows, expected_cols = np.nonzero(mask)
    assert np.array_equal(rows, expected_rows)
    assert np.array_equal(cols, expected_cols)
