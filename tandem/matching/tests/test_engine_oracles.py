"""The engine against independent oracles: brute force, scipy, the `matching` package, networkx.

Scores for the oracles come from `naive_score` below, a direct transcription of MATCHING.md's
table in plain Python — not from the engine.
"""

import itertools
import math
import random
import sys
import warnings

import networkx as nx
import numpy as np
import pytest
from matching.games import HospitalResident
from scipy.optimize import linear_sum_assignment

from tandem.matching.engine import parse_problem, solve


@pytest.fixture(autouse=True)
def _tandem_test_settings():
    """The engine needs no Django: this stands in for the suite-wide settings fixture."""


SKILLS = ["python", "sql", "design", "leadership", "sales", "ml", "ops", "writing"]
LANGS = ["en", "fr", "de"]


# -- a plain-Python reading of MATCHING.md -------------------------------------------------------
def _norm_set(value):
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    out = set()
    for item in items:
        if isinstance(item, str):
            text = item.strip().casefold()
        else:
            number = float(item)
            text = str(int(number)) if number.is_integer() else repr(number)
        if text:
            out.add(text)
    return out


def naive_value(criterion, mentee_value, mentor_value):
    """(s, required holds) for one criterion, straight from the MATCHING.md table."""
    kind = criterion["type"]
    if kind in ("range", "near"):
        if mentee_value is None or mentor_value is None:
            return 0.0, False
        d = mentor_value - mentee_value
        if kind == "range":
            ok = criterion.get("min", -math.inf) <= d <= criterion.get("max", math.inf)
            return float(ok), ok
        s = max(0.0, 1 - abs(d) / criterion["within"])
        return s, abs(d) <= criterion["within"]
    a, b = _norm_set(mentee_value), _norm_set(mentor_value)
    if a is None or b is None:
        return 0.0, kind == "different"
    if kind == "overlap":
        return (len(a & b) / len(a) if a else 0.0), len(a & b) >= 1
    if kind == "same":
        return float(bool(a & b)), bool(a & b)
    if kind == "different":
        return float(not (a & b)), not (a & b)
    raise AssertionError(kind)


def naive_score(document, mentee, mentor):
    """(score, allowed by required rules) for one pair."""
    total_weight = sum(c.get("weight", 1) for c in document["criteria"])
    acc = 0.0
    ok = True
    for criterion in document["criteria"]:

        def value_of(person, attribute):
            return (
                person["id"] if attribute == "@id" else person.get("attributes", {}).get(attribute)
            )

        s, holds = naive_value(
            criterion, value_of(mentee, criterion["mentee"]), value_of(mentor, criterion["mentor"])
        )
        acc += criterion.get("weight", 1) * s
        if criterion.get("required"):
            ok = ok and holds
    return (acc / total_weight if total_weight else 0.0), ok


def random_document(rng, n_mentees, n_mentors, objective="total", max_capacity=2, required=True):
    mentees = [
        {
            "id": f"e{i:04d}",
            "capacity": 1 if objective == "stable" else rng.randint(1, max_capacity),
            "attributes": {
                "wants": rng.sample(SKILLS, rng.randint(1, 3)),
                "lang": rng.choice(LANGS),
                "level": rng.randint(1, 5),
                "tz": rng.randint(-6, 6),
                "managers": [f"r{rng.randrange(n_mentors):04d}"] if n_mentors else [],
            },
        }
        for i in range(n_mentees)
    ]
    mentors = [
        {
            "id": f"r{j:04d}",
            "capacity": rng.randint(0, max_capacity),
            "attributes": {
                "offers": rng.sample(SKILLS, rng.randint(1, 4)),
                "lang": rng.sample(LANGS, rng.randint(1, 2)),
                "level": rng.randint(1, 8),
                "tz": rng.randint(-6, 6),
            },
        }
        for j in range(n_mentors)
    ]
    criteria = [
        {"name": "skills", "type": "overlap", "mentee": "wants", "mentor": "offers", "weight": 3},
        {
            "name": "language",
            "type": "same",
            "mentee": "lang",
            "mentor": "lang",
            "required": required,
            "weight": 1,
        },
        {
            "name": "gap",
            "type": "range",
            "mentee": "level",
            "mentor": "level",
            "min": 0,
            "max": 4,
            "weight": 1,
        },
        {
            "name": "tz",
            "type": "near",
            "mentee": "tz",
            "mentor": "tz",
            "within": 5,
            "weight": 1,
            "required": required,
        },
        {
            "name": "manager",
            "type": "different",
            "mentee": "managers",
            "mentor": "@id",
            "required": required,
            "weight": 0,
        },
    ]
    return {"objective": objective, "mentees": mentees, "mentors": mentors, "criteria": criteria}


def allowed_scores(document):
    """{(mentee index, mentor index): micro-point score} of allowed pairs, by the naive reading."""
    forbidden = {tuple(p) for p in document.get("forbidden", [])}
    pinned = {tuple(p) for p in document.get("pinned", [])}
    floor = document.get("min_score", 0.0)
    out = {}
    for i, a in enumerate(document["mentees"]):
        for j, b in enumerate(document["mentors"]):
            if (a["id"], b["id"]) in forbidden or (a["id"], b["id"]) in pinned:
                continue
            if "scores" in document:
                continue
            s, ok = naive_score(document, a, b)
            if ok and s >= floor - 1e-9:
                out[(i, j)] = round(s * 1e6)
    for a_id, b_id, s in document.get("scores", []):
        i = next(k for k, p in enumerate(document["mentees"]) if p["id"] == a_id)
        j = next(k for k, p in enumerate(document["mentors"]) if p["id"] == b_id)
        if (a_id, b_id) not in forbidden and (a_id, b_id) not in pinned and s >= floor:
            out[(i, j)] = round(s * 1e6)
    return out


def brute_force(document, objective):
    """Best key over every matching, by enumeration (tiny instances only)."""
    pairs = sorted(allowed_scores(document).items())
    cap_e = [p.get("capacity", 1) for p in document["mentees"]]
    cap_r = [p.get("capacity", 1) for p in document["mentors"]]
    index_e = {p["id"]: i for i, p in enumerate(document["mentees"])}
    index_r = {p["id"]: j for j, p in enumerate(document["mentors"])}
    for a, b in document.get("pinned", []):
        cap_e[index_e[a]] -= 1
        cap_r[index_r[b]] -= 1
    best = None
    for mask in range(1 << len(pairs)):
        used_e = [0] * len(cap_e)
        used_r = [0] * len(cap_r)
        chosen = []
        feasible = True
        for bit, ((i, j), s) in enumerate(pairs):
            if mask >> bit & 1:
                used_e[i] += 1
                used_r[j] += 1
                if used_e[i] > cap_e[i] or used_r[j] > cap_r[j]:
                    feasible = False
                    break
                chosen.append(s)
        if not feasible:
            continue
        key: tuple[float, ...]
        if objective == "total":
            key = (len(chosen), sum(chosen))
        else:
            key = (len(chosen), min(chosen) if chosen else math.inf, sum(chosen))
        if best is None or key > best:
            best = key
    return best


def engine_key(result, objective, document):
    pinned = {tuple(p) for p in document.get("pinned", [])}
    free = [
        round(m["score"] * 1e6)
        for m in result["matches"]
        if (m["mentee"], m["mentor"]) not in pinned
    ]
    if objective == "total":
        return (len(free), sum(free))
    return (len(free), min(free) if free else math.inf, sum(free))


def _close(key, expected, pairs):
    """Keys agree: counts exactly, scores within one micro-point of rounding per pair."""
    assert key[0] == expected[0]
    for got, want in zip(key[1:], expected[1:], strict=True):
        if math.isinf(want):
            assert got == want
        else:
            assert abs(got - want) <= max(1, pairs)


# -- brute force on tiny instances ---------------------------------------------------------------
@pytest.mark.parametrize("objective", ["total", "fair"])
@pytest.mark.parametrize("seed", range(25))
def test_tiny_instances_match_brute_force(objective, seed):
    rng = random.Random(seed)
    document = random_document(
        rng, rng.randint(1, 4), rng.randint(1, 3), objective, required=seed % 2 == 0
    )
    if seed % 3 == 0 and document["mentees"] and document["mentors"]:
        a, b = document["mentees"][0], document["mentors"][0]
        b["capacity"] = max(b["capacity"], 1)
        document["pinned"] = [[a["id"], b["id"]]]
    if seed % 4 == 1:
        document["min_score"] = 0.3
    expected = brute_force(document, objective)
    result = solve(parse_problem(document))
    assert result["stats"]["optimal"] is True
    _close(engine_key(result, objective, document), expected, len(result["matches"]))


def test_fair_prefers_raising_the_worst_pair_over_the_total():
    # Total would take a1-b1 (0.9) + a2-b2 (0.1) = 1.0; fair takes 0.5 + 0.45 = 0.95 (min 0.45).
    document = {
        "objective": "fair",
        "mentees": [{"id": "a1"}, {"id": "a2"}],
        "mentors": [{"id": "b1"}, {"id": "b2"}],
        "scores": [["a1", "b1", 0.9], ["a1", "b2", 0.5], ["a2", "b1", 0.45], ["a2", "b2", 0.1]],
    }
    fair = solve(parse_problem(document))
    pairs = {(m["mentee"], m["mentor"]) for m in fair["matches"]}
    assert pairs == {("a1", "b2"), ("a2", "b1")}
    document["objective"] = "total"
    total = solve(parse_problem(document))
    assert {(m["mentee"], m["mentor"]) for m in total["matches"]} == {("a1", "b1"), ("a2", "b2")}


# -- scipy linear_sum_assignment for `total`, with pruning active ----------------------------------
def _scipy_total(n_mentees, n_mentors, scores, cap_e, cap_r):
    """Most pairs then largest sum, via slot expansion and a dense assignment."""
    rows = [i for i in range(n_mentees) for _ in range(cap_e[i])]
    cols = [j for j in range(n_mentors) for _ in range(cap_r[j])]
    bonus = 10.0**10
    matrix = np.zeros((len(rows), len(cols)))
    for r, i in enumerate(rows):
        for c, j in enumerate(cols):
            if (i, j) in scores:
                matrix[r, c] = bonus + scores[(i, j)]
    r_idx, c_idx = linear_sum_assignment(matrix, maximize=True)
    used = [(rows[r], cols[c]) for r, c in zip(r_idx, c_idx, strict=True) if matrix[r, c] > 0]
    assert len(set(used)) == len(used)  # capacity-1 mentees: a pair cannot repeat
    return len(used), sum(scores[p] for p in used)


@pytest.mark.parametrize(
    ("n_mentees", "n_mentors", "seed"), [(60, 45, 1), (400, 250, 2), (600, 400, 3)]
)
def test_total_matches_scipy_assignment(n_mentees, n_mentors, seed):
    rng = random.Random(seed)
    document = random_document(
        rng, n_mentees, n_mentors, "total", max_capacity=1, required=seed != 2
    )
    scores = allowed_scores(document)
    expected = _scipy_total(
        n_mentees, n_mentors, scores, [1] * n_mentees, [p["capacity"] for p in document["mentors"]]
    )
    result = solve(parse_problem(document))
    assert result["stats"]["optimal"] is True
    assert result["stats"]["matched"] == expected[0]
    got = sum(round(m["score"] * 1e6) for m in result["matches"])
    assert abs(got - expected[1]) <= expected[0]


def test_total_with_explicit_scores_matches_scipy_at_1000_people():
    rng = random.Random(11)
    n = 500
    scores = {}
    listed = []
    for i in range(n):
        for j in rng.sample(range(n), 40):
            value = rng.randint(0, 1000) / 1000
            scores[(i, j)] = round(value * 1e6)
            listed.append([f"e{i}", f"r{j}", value])
    document = {
        "objective": "total",
        "mentees": [{"id": f"e{i}"} for i in range(n)],
        "mentors": [{"id": f"r{j}"} for j in range(n)],
        "scores": listed,
    }
    expected = _scipy_total(n, n, scores, [1] * n, [1] * n)
    result = solve(parse_problem(document))
    assert result["stats"]["matched"] == expected[0]
    assert round(result["stats"]["total_score"] * 1e6) == expected[1]


# -- the `matching` package for `stable` -----------------------------------------------------------
def _stable_oracle(mentee_prefs, mentor_prefs, capacities):
    # The package deep-copies linked player objects; 300 people need a deeper stack.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(
            mentee_prefs, mentor_prefs, capacities, clean=True
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "ranked X but they did not": mutual lists are the rule
        solution = game.solve(optimal="resident")
    return {(r.name, h.name) for h, residents in solution.items() for r in residents}


@pytest.mark.parametrize(("n_mentees", "n_mentors", "seed"), [(30, 12, 5), (300, 120, 6)])
def test_stable_with_preferences_matches_the_matching_package(n_mentees, n_mentors, seed):
    rng = random.Random(seed)
    mentees = [f"e{i}" for i in range(n_mentees)]
    mentors = [f"r{j}" for j in range(n_mentors)]
    mentee_prefs = {e: rng.sample(mentors, rng.randint(1, min(10, n_mentors))) for e in mentees}
    mentor_prefs = {}
    for r in mentors:
        proposers = [e for e in mentees if r in mentee_prefs[e]]
        extra = rng.sample(mentees, min(5, n_mentees))
        ranking = list(dict.fromkeys(proposers + extra))
        rng.shuffle(ranking)
        mentor_prefs[r] = ranking
    capacities = {r: rng.randint(1, 3) for r in mentors}
    document = {
        "objective": "stable",
        "mentees": [{"id": e} for e in mentees],
        "mentors": [{"id": r, "capacity": capacities[r]} for r in mentors],
        "preferences": {"mentees": mentee_prefs, "mentors": mentor_prefs},
    }
    expected = _stable_oracle(mentee_prefs, mentor_prefs, capacities)
    result = solve(parse_problem(document))
    assert {(m["mentee"], m["mentor"]) for m in result["matches"]} == expected


@pytest.mark.parametrize(
    ("n_mentors", "max_capacity", "required"),
    # 200 mentors with at most one place, no required rule: many of the 300 mentees run out of
    # their scanned best mentors and go on through their whole lists, less what the mentors'
    # bars already refuse (leaving out too much there changes this answer).
    [(40, 3, True), (200, 1, False)],
)
def test_stable_from_criteria_matches_the_matching_package(n_mentors, max_capacity, required):
    rng = random.Random(7)
    document = random_document(
        rng, 300, n_mentors, "stable", max_capacity=max_capacity, required=required
    )
    scores = allowed_scores(document)
    e_ids = [p["id"] for p in document["mentees"]]
    r_ids = [p["id"] for p in document["mentors"]]
    caps = {p["id"]: p["capacity"] for p in document["mentors"]}
    mentee_prefs = {
        e_ids[i]: [
            r_ids[j]
            for j in sorted(
                (j for (a, j) in scores if a == i), key=lambda j: (-scores[(i, j)], r_ids[j])
            )
        ]
        for i in range(len(e_ids))
    }
    mentor_prefs = {
        r_ids[j]: [
            e_ids[i]
            for i in sorted(
                (i for (i, b) in scores if b == j), key=lambda i: (-scores[(i, j)], e_ids[i])
            )
        ]
        for j in range(len(r_ids))
    }
    usable = {r: v for r, v in mentor_prefs.items() if caps[r] > 0}
    mentee_prefs = {e: [r for r in v if caps[r] > 0] for e, v in mentee_prefs.items()}
    expected = _stable_oracle(mentee_prefs, usable, {r: caps[r] for r in usable})
    result = solve(parse_problem(document))
    assert {(m["mentee"], m["mentor"]) for m in result["matches"]} == expected


def test_stable_answer_has_no_blocking_pair():
    rng = random.Random(8)
    document = random_document(rng, 80, 30, "stable", max_capacity=2)
    scores = allowed_scores(document)
    result = solve(parse_problem(document))
    index_e = {p["id"]: i for i, p in enumerate(document["mentees"])}
    index_r = {p["id"]: j for j, p in enumerate(document["mentors"])}
    partner = {index_e[m["mentee"]]: index_r[m["mentor"]] for m in result["matches"]}
    held: dict[int, list[int]] = {}
    for i, j in partner.items():
        held.setdefault(j, []).append(i)
    e_ids = [p["id"] for p in document["mentees"]]
    r_ids = [p["id"] for p in document["mentors"]]
    for (i, j), s in scores.items():
        cap = document["mentors"][j]["capacity"]
        if cap == 0 or partner.get(i) == j:
            continue
        mentee_prefers = i not in partner or (
            s > scores[(i, partner[i])]
            or (s == scores[(i, partner[i])] and r_ids[j] < r_ids[partner[i]])
        )
        if not mentee_prefers:
            continue
        current = held.get(j, [])
        mentor_prefers = len(current) < cap or any(
            s > scores[(k, j)] or (s == scores[(k, j)] and e_ids[i] < e_ids[k]) for k in current
        )
        assert not mentor_prefers, f"blocking pair {e_ids[i]}-{r_ids[j]}"


# -- networkx for peer pairs ---------------------------------------------------------------
@pytest.mark.parametrize(("n", "degree", "seed"), [(9, 4, 1), (60, 10, 2), (200, 12, 3)])
def test_peer_pairs_match_networkx(n, degree, seed):
    rng = random.Random(seed)
    ids = [f"p{i:03d}" for i in range(n)]
    seen = set()
    listed = []
    graph = nx.Graph()
    for i in range(n):
        for j in rng.sample(range(n), degree):
            key = (min(i, j), max(i, j))
            if i == j or key in seen:
                continue
            seen.add(key)
            value = rng.randint(0, 1000) / 1000
            listed.append([ids[i], ids[j], value])
            graph.add_edge(i, j, weight=round(value * 1e6))
    expected = nx.max_weight_matching(graph, maxcardinality=True)
    expected_total = sum(graph[a][b]["weight"] for a, b in expected)
    document = {"objective": "peer", "participants": [{"id": x} for x in ids], "scores": listed}
    result = solve(parse_problem(document))
    assert result["stats"]["matched"] == len(expected)
    assert round(result["stats"]["total_score"] * 1e6) == expected_total
    assert result["stats"]["optimal"] is True


def test_peer_circles_respect_group_size_and_bound():
    rng = random.Random(4)
    ids = [f"p{i}" for i in range(23)]
    pair_scores = {
        frozenset((a, b)): rng.randint(0, 100) / 100 for a, b in itertools.combinations(ids, 2)
    }
    listed = [[*sorted(pair), score] for pair, score in pair_scores.items()]
    document = {
        "objective": "peer",
        "participants": [{"id": x} for x in ids],
        "scores": listed,
        "group_size": 4,
    }
    result = solve(parse_problem(document))
    scores = pair_scores
    value = 0.0
    seen: set[str] = set()
    for group in result["matches"]:
        assert 2 <= len(group["peers"]) <= 4
        assert not seen & set(group["peers"])
        seen |= set(group["peers"])
        value += sum(scores[frozenset(p)] for p in itertools.combinations(group["peers"], 2))
    assert abs(value - result["stats"]["value"]) < 1e-6
    assert result["stats"]["value"] <= result["stats"]["upper_bound"] + 1e-9


def _textbook_deferred_acceptance(lists, keys, capacity):
    """Mentee-proposing Gale–Shapley, one proposal at a time over whole lists, no shortcuts."""
    position = [0] * len(lists)
    held: dict[int, list[tuple[int, int]]] = {j: [] for j in range(len(capacity))}
    free = list(range(len(lists)))
    while free:
        i = free.pop(0)
        if position[i] == len(lists[i]):
            continue
        j, key = lists[i][position[i]], keys[i][position[i]]
        position[i] += 1
        held[j].append((key, i))
        held[j].sort(reverse=True)
        while len(held[j]) > capacity[j]:
            free.append(held[j].pop()[1])
    return sorted((i, j) for j, pairs in held.items() for _, i in pairs)


@pytest.mark.parametrize("filtered", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_deferred_acceptance_with_lazy_whole_lists_matches_the_textbook_algorithm(seed, filtered):
    """Mentees who run out of their certain prefix get whole lists (less what their mentors' bars
    already refuse, or all of them, mentors already proposed to included) and skip to the first
    mentor whose bar they clear; zero-capacity mentors refuse all, zero-capacity mentees never
    propose; keys may be negative."""
    from tandem.matching.engine.stable import StableInput, deferred_acceptance

    rng = random.Random(seed)
    n, m = 60, 15
    capacity = [rng.choice([0, 1, 1, 2, 3]) for _ in range(m)]
    proposing = [rng.random() > 0.1 for _ in range(n)]
    key_of = {(i, j): rng.randrange(-1000, 1000) * 100 + i for i in range(n) for j in range(m)}
    lists = [rng.sample(range(m), rng.randint(0, m)) for _ in range(n)]
    keys = [[key_of[(i, j)] for j in lists[i]] for i in range(n)]
    prefix = [rng.randint(0, len(x)) for x in lists]
    asked: list[int] = []

    def full_lists(batch, bar):
        # Filtered: leaves out what the contract allows, proposals at or below the bar.
        asked.extend(batch)
        out = []
        for i in batch:
            kept = [
                (j, k) for j, k in zip(lists[i], keys[i], strict=True) if k > bar[j] or not filtered
            ]
            out.append(
                (
                    np.array([j for j, _ in kept], dtype=np.int64),
                    np.array([k for _, k in kept], dtype=np.int64),
                )
            )
        return out

    data = StableInput(
        mentee_capacity=np.array(proposing, dtype=np.int64),
        mentor_capacity=np.array(capacity, dtype=np.int64),
        first_lists=[np.array(lists[i][: prefix[i]], dtype=np.int64) for i in range(n)],
        first_keys=[np.array(keys[i][: prefix[i]], dtype=np.int64) for i in range(n)],
        complete=[prefix[i] == len(lists[i]) for i in range(n)],
        full_lists=full_lists,
    )
    expected = _textbook_deferred_acceptance(
        [x if proposing[i] else [] for i, x in enumerate(lists)], keys, capacity
    )
    assert deferred_acceptance(data) == expected
    assert asked  # some mentees did need their whole lists
    assert all(proposing[i] for i in asked)
