"""`candidates_for` and `preview` against a brute-force reading of MATCHING.md (no database).

The oracle below scores every pair with exact fractions straight from the criteria table of
MATCHING.md: s per criterion, Score = Σ wᵢ·sᵢ / Σ wᵢ, allowed = required rules hold, not
forbidden, score ≥ min_score; for peers, the mean of both directions, required rules in both.
Instances are small and random (seeded), so every case is reproducible from its seed.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pytest

from tandem.matching.engine.pairs import candidates_for, preview
from tandem.matching.engine.problem import parse_problem


@pytest.fixture(autouse=True)
def _tandem_test_settings():
    """The engine needs no Django: this stands in for the suite-wide settings fixture."""


SKILLS = ["Python", " python", "GO", "go ", "Rust", "sql", "SQL "]
LANGS = ["en", "EN", "fr", "de"]
SEEDS = range(120)


# --- the oracle --------------------------------------------------------------------------------


def _value(person: dict[str, Any], attribute: str) -> Any:
    if attribute == "@id":
        return person["id"]
    return person.get("attributes", {}).get(attribute)


def _tokens(value: Any) -> set[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return {str(item).strip().casefold() for item in items} - {""}


def criterion_value(criterion: dict[str, Any], mentee: Any, mentor: Any) -> tuple[Fraction, bool]:
    """(s, the required condition holds) for one criterion, per MATCHING.md's table."""
    kind = criterion["type"]
    if kind in ("overlap", "same", "different"):
        a, b = _tokens(mentee), _tokens(mentor)
        if a is None or b is None:
            return Fraction(0), kind == "different"  # missing satisfies only `different`
        common = len(a & b)
        if kind == "overlap":
            return (Fraction(common, len(a)) if a else Fraction(0)), common >= 1
        if kind == "same":
            return Fraction(int(common > 0)), common > 0
        return Fraction(int(common == 0)), common == 0
    if mentee is None or mentor is None:
        return Fraction(0), False
    difference = Fraction(mentor) - Fraction(mentee)
    if kind == "range":
        ok = criterion["min"] <= difference <= criterion["max"]
        return Fraction(int(ok)), ok
    within = Fraction(criterion["within"])
    return max(Fraction(0), 1 - abs(difference) / within), abs(difference) <= within


@dataclass
class Direction:
    score: Fraction
    values: dict[str, Fraction]
    failed: list[str]  # required criteria that do not hold, in criterion order


def direction(problem: dict[str, Any], mentee: dict[str, Any], mentor: dict[str, Any]) -> Direction:
    criteria = problem["criteria"]
    values: dict[str, Fraction] = {}
    failed: list[str] = []
    for c in criteria:
        s, ok = criterion_value(c, _value(mentee, c["mentee"]), _value(mentor, c["mentor"]))
        values[c["name"]] = s
        if c.get("required") and not ok:
            failed.append(c["name"])
    total_weight = sum(Fraction(c["weight"]) for c in criteria)
    score = (
        sum(Fraction(c["weight"]) * values[c["name"]] for c in criteria) / total_weight
        if total_weight
        else Fraction(0)
    )
    return Direction(score, values, failed)


@dataclass
class Pair:
    score: Fraction
    values: dict[str, Fraction]
    failed: list[str]
    forbidden: bool
    allowed: bool


def pair(problem: dict[str, Any], a: dict[str, Any], b: dict[str, Any]) -> Pair:
    """One pair as MATCHING.md defines it (a peer pair: both directions, mean score)."""
    names = [c["name"] for c in problem["criteria"]]
    forbidden = {tuple(f) for f in problem.get("forbidden", [])}
    if problem["objective"] == "peer":
        ab, ba = direction(problem, a, b), direction(problem, b, a)
        score = (ab.score + ba.score) / 2
        values = {n: (ab.values[n] + ba.values[n]) / 2 for n in names}
        failed = [n for n in names if n in ab.failed or n in ba.failed]
        is_forbidden = (a["id"], b["id"]) in forbidden or (b["id"], a["id"]) in forbidden
    else:
        one = direction(problem, a, b)
        score, values, failed = one.score, one.values, one.failed
        is_forbidden = (a["id"], b["id"]) in forbidden
    min_score = Fraction(problem.get("min_score", 0))
    allowed = not failed and not is_forbidden and score >= min_score
    return Pair(score, values, failed, is_forbidden, allowed)


def expected_candidates(problem: dict[str, Any], mentee_id: str) -> list[dict[str, Any]]:
    is_peer = problem["objective"] == "peer"
    people = problem["participants"] if is_peer else problem["mentees"]
    mentors = problem["participants"] if is_peer else problem["mentors"]
    mentee = next(p for p in people if p["id"] == mentee_id)
    found = []
    for mentor in mentors:
        if is_peer and mentor["id"] == mentee_id:
            continue
        found.append((mentor["id"], pair(problem, mentee, mentor)))
    found.sort(key=lambda e: (not e[1].allowed, -e[1].score, e[0]))
    return [{"mentor": m, "pair": p} for m, p in found]


def expected_excluded_by(p: Pair, min_score: float) -> list[str]:
    if p.forbidden:
        return [*p.failed, "forbidden"]
    if not p.failed and p.score < Fraction(min_score):
        return ["min_score"]
    return list(p.failed)


def all_pairs(problem: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any], Pair]]:
    if problem["objective"] == "peer":
        people = problem["participants"]
        return [(a, b, pair(problem, a, b)) for i, a in enumerate(people) for b in people[i + 1 :]]
    return [(a, b, pair(problem, a, b)) for a in problem["mentees"] for b in problem["mentors"]]


def most_frequent_rule(failures: Counter[str], order: list[str]) -> str:
    if not failures:
        return "min_score or forbidden"
    top = max(failures.values())
    return next(name for name in order if failures[name] == top)


# --- random instances ----------------------------------------------------------------------------


def _maybe(rng: random.Random, value: Any) -> Any:
    return None if rng.random() < 0.15 else value


def _attributes(rng: random.Random, mentor_ids: list[str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for name in ("wants", "offers"):
        if rng.random() < 0.9:
            attributes[name] = _maybe(rng, rng.sample(SKILLS, rng.randint(0, 3)))
    if rng.random() < 0.9:
        choice = rng.sample(LANGS, rng.randint(1, 2))
        attributes["lang"] = _maybe(rng, choice if rng.random() < 0.7 else choice[0])
    for name, low, high in (("level", 0, 6), ("tz", -4, 4)):
        if rng.random() < 0.9:
            attributes[name] = _maybe(rng, rng.randint(low, high))
    attributes["managers"] = rng.sample(mentor_ids, min(len(mentor_ids), rng.randint(0, 1)))
    return attributes


def _criteria(rng: random.Random) -> list[dict[str, Any]]:
    low = rng.randint(-2, 2)
    templates: list[dict[str, Any]] = [
        {"type": "overlap", "mentee": "wants", "mentor": "offers"},
        {"type": "same", "mentee": "lang", "mentor": "lang"},
        {"type": "different", "mentee": "managers", "mentor": "@id"},
        {"type": "range", "mentee": "level", "mentor": "level", "min": low, "max": low + 3},
        {"type": "near", "mentee": "tz", "mentor": "tz", "within": rng.choice([1, 2, 4])},
    ]
    chosen = rng.sample(templates, rng.randint(1, len(templates)))
    return [
        {
            **c,
            "name": f"{c['type']} rule",
            "weight": rng.choice([0, 1, 1, 2, 3]),
            "required": rng.random() < 0.35,
        }
        for c in chosen
    ]


def bipartite_instance(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    # Ids that sort differently as strings and as numbers (b10 < b2), as MATCHING.md says.
    mentor_ids = [f"b{j}" for j in rng.sample(range(1, 13), rng.randint(1, 6))]
    mentee_ids = [f"a{i}" for i in rng.sample(range(1, 13), rng.randint(1, 6))]
    mentees = [
        {"id": i, "capacity": 1, "attributes": _attributes(rng, mentor_ids)} for i in mentee_ids
    ]
    mentors = [
        {"id": j, "capacity": rng.randint(0, 2), "attributes": _attributes(rng, mentor_ids)}
        for j in mentor_ids
    ]
    pairs = [[a, b] for a in mentee_ids for b in mentor_ids]
    return {
        "format": "tandem-matching/1",
        "objective": rng.choice(["fair", "total"]),
        "mentees": mentees,
        "mentors": mentors,
        "criteria": _criteria(rng),
        "min_score": rng.choice([0.0, 0.0, 0.25, 0.5]),
        "forbidden": rng.sample(pairs, min(len(pairs), rng.randint(0, 3))),
    }


def peer_instance(seed: int) -> dict[str, Any]:
    rng = random.Random(10_000 + seed)
    ids = [f"p{i}" for i in rng.sample(range(1, 13), rng.randint(2, 7))]
    people = [{"id": i, "capacity": 1, "attributes": _attributes(rng, ids)} for i in ids]
    # Each unordered pair at most once, named in either order.
    pairs = [rng.sample([a, b], 2) for k, a in enumerate(ids) for b in ids[k + 1 :]]
    return {
        "format": "tandem-matching/1",
        "objective": "peer",
        "participants": people,
        "criteria": _criteria(rng),
        "min_score": rng.choice([0.0, 0.0, 0.25, 0.5]),
        "forbidden": rng.sample(pairs, min(len(pairs), rng.randint(0, 2))),
    }


# --- the checks ----------------------------------------------------------------------------------


def check_candidates(document: dict[str, Any]) -> None:
    problem = parse_problem(document)
    is_peer = document["objective"] == "peer"
    people = document["participants"] if is_peer else document["mentees"]
    for person in people:
        got = candidates_for(problem, person["id"])
        want = expected_candidates(document, person["id"])
        # Every candidate once, best first: allowed, then score, then id (as strings). The
        # engine scores in micro-points (a peer pair: the mean of two rounded directions), so
        # the order is checked on its own scores, each of which is checked against the oracle.
        assert sorted(e["mentor"] for e in got) == sorted(e["mentor"] for e in want)
        assert got == sorted(got, key=lambda e: (not e["allowed"], -e["score"], e["mentor"]))
        oracle = {e["mentor"]: e["pair"] for e in want}
        for entry in got:
            p: Pair = oracle[entry["mentor"]]
            where = f"{person['id']} with {entry['mentor']}"
            assert math.isclose(entry["score"], float(p.score), abs_tol=1e-6), where
            assert entry["allowed"] is p.allowed, where
            assert entry["excluded_by"] == expected_excluded_by(p, document["min_score"]), where
            reasons = {r["criterion"]: r["value"] for r in entry["reasons"]}
            assert set(reasons) == set(p.values), where
            for name, value in p.values.items():
                assert math.isclose(reasons[name], float(value), abs_tol=1e-6), (where, name)
            # Strongest contribution first.
            weights = {c["name"]: c["weight"] for c in document["criteria"]}
            contributions = [
                weights[r["criterion"]] * p.values[r["criterion"]] for r in entry["reasons"]
            ]
            assert contributions == sorted(contributions, reverse=True), where


def check_preview(document: dict[str, Any]) -> None:
    result = preview(parse_problem(document), sample_people=1000)
    is_peer = document["objective"] == "peer"
    pairs = all_pairs(document)
    allowed = [p for _, _, p in pairs if p.allowed]
    assert result["mentees"] == len(document["participants"] if is_peer else document["mentees"])
    assert result["mentors"] == (0 if is_peer else len(document["mentors"]))
    assert result["allowed_pairs"] == len(allowed)
    bins = Counter(min(math.floor(p.score * 10), 9) for p in allowed)
    assert [b["pairs"] for b in result["histogram"]] == [bins[b] for b in range(10)]
    assert sum(b["pairs"] for b in result["histogram"]) == result["allowed_pairs"]
    assert [(b["from"], b["to"]) for b in result["histogram"]] == [
        (round(b / 10, 2), round((b + 1) / 10, 2)) for b in range(10)
    ]

    order = [c["name"] for c in document["criteria"]]
    sides: list[tuple[str, list[dict[str, Any]]]] = (
        [("mentee", document["participants"])]
        if is_peer
        else [("mentee", document["mentees"]), ("mentor", document["mentors"])]
    )
    expected = []
    for side, people in sides:
        for person in people:
            mine = [
                p
                for a, b, p in pairs
                if person["id"]
                in (
                    (a["id"], b["id"])
                    if is_peer
                    else (a["id"],)
                    if side == "mentee"
                    else (b["id"],)
                )
            ]
            if not any(p.allowed for p in mine):
                failures = Counter(name for p in mine for name in p.failed)
                expected.append(
                    {"id": person["id"], "side": side, "rule": most_frequent_rule(failures, order)}
                )
    assert result["no_partner"] == expected
    assert result["no_partner_count"] == len(expected)
    assert result["no_partner_by_rule"] == dict(Counter(e["rule"] for e in expected))


@pytest.mark.parametrize("seed", SEEDS)
def test_candidates_match_the_brute_force_scores_allowed_flags_and_order(seed: int) -> None:
    check_candidates(bipartite_instance(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_preview_matches_brute_force_counts_histogram_and_people_without_partner(
    seed: int,
) -> None:
    check_preview(bipartite_instance(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_peer_candidates_score_both_directions_and_need_required_rules_both_ways(
    seed: int,
) -> None:
    check_candidates(peer_instance(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_peer_preview_counts_each_pair_once_with_its_mean_score(seed: int) -> None:
    check_preview(peer_instance(seed))


def test_an_unknown_mentee_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        candidates_for(parse_problem(bipartite_instance(1)), "nobody")


def test_a_worked_example_from_matching_md() -> None:
    """MATCHING.md's example pair a1–b1, scored by hand: skills 1/2, language 1, gap 1,
    timezone 1 - 2/4; weights 3, 0, 1, 1 → (1.5 + 1 + 0.5) / 5 = 0.6."""
    document = {
        "format": "tandem-matching/1",
        "objective": "fair",
        "mentees": [
            {
                "id": "a1",
                "attributes": {
                    "wants": ["python", "leadership"],
                    "lang": ["en"],
                    "level": 2,
                    "tz": 10,
                },
            }
        ],
        "mentors": [
            {
                "id": "b1",
                "capacity": 2,
                "attributes": {"offers": ["Python"], "lang": ["en", "fr"], "level": 5, "tz": 8},
            }
        ],
        "criteria": [
            {
                "name": "skills",
                "type": "overlap",
                "mentee": "wants",
                "mentor": "offers",
                "weight": 3,
            },
            {
                "name": "language",
                "type": "same",
                "mentee": "lang",
                "mentor": "lang",
                "required": True,
                "weight": 0,
            },
            {
                "name": "gap",
                "type": "range",
                "mentee": "level",
                "mentor": "level",
                "min": 1,
                "max": 4,
                "weight": 1,
            },
            {
                "name": "timezone",
                "type": "near",
                "mentee": "tz",
                "mentor": "tz",
                "within": 4,
                "required": True,
                "weight": 1,
            },
        ],
    }
    (entry,) = candidates_for(parse_problem(document), "a1")
    assert entry["score"] == 0.6
    assert entry["allowed"] is True
    assert [r["criterion"] for r in entry["reasons"]] == ["skills", "gap", "timezone", "language"]
    summary = preview(parse_problem(document))
    assert summary["allowed_pairs"] == 1
    assert summary["histogram"][6]["pairs"] == 1
    assert summary["no_partner_count"] == 0
