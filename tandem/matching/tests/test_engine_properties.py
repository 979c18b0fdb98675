"""Properties that hold for every problem (hypothesis), and scoring against MATCHING.md's table."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem.matching.engine import parse_problem, result_json, solve
from tandem.matching.tests.test_engine_oracles import naive_score, random_document


@pytest.fixture(autouse=True)
def _tandem_test_settings():
    """The engine needs no Django: this stands in for the suite-wide settings fixture."""


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw, objectives=("total", "fair", "stable")):
    seed = draw(st.integers(0, 10**6))
    objective = draw(st.sampled_from(objectives))
    rng = random.Random(seed)
    document = random_document(
        rng,
        draw(st.integers(0, 14)),
        draw(st.integers(0, 16)),
        objective,
        required=draw(st.booleans()),
    )
    mentees, mentors = document["mentees"], document["mentors"]
    pairs = [(a["id"], b["id"]) for a in mentees for b in mentors]
    rng.shuffle(pairs)
    document["forbidden"] = [list(p) for p in pairs[: draw(st.integers(0, 4))]]
    pins = []
    used_e: dict[str, int] = {}
    used_r: dict[str, int] = {}
    caps_e = {p["id"]: p["capacity"] for p in mentees}
    caps_r = {p["id"]: p["capacity"] for p in mentors}
    for a, b in pairs[4 : 4 + draw(st.integers(0, 3))]:
        if used_e.get(a, 0) < caps_e[a] and used_r.get(b, 0) < caps_r[b]:
            pins.append([a, b])
            used_e[a] = used_e.get(a, 0) + 1
            used_r[b] = used_r.get(b, 0) + 1
    document["pinned"] = pins
    document["min_score"] = draw(st.sampled_from([0.0, 0.0, 0.2, 0.5]))
    return document


def _check_feasible(document, result):
    caps_e = {p["id"]: p["capacity"] for p in document["mentees"]}
    caps_r = {p["id"]: p["capacity"] for p in document["mentors"]}
    people_e = {p["id"]: p for p in document["mentees"]}
    people_r = {p["id"]: p for p in document["mentors"]}
    pinned = {tuple(p) for p in document["pinned"]}
    forbidden = {tuple(p) for p in document["forbidden"]}
    pairs = [(m["mentee"], m["mentor"]) for m in result["matches"]]
    assert len(set(pairs)) == len(pairs), "a pair appears twice"
    for a in caps_e:
        assert sum(1 for x, _ in pairs if x == a) <= caps_e[a], f"mentee {a} over capacity"
    for b in caps_r:
        assert sum(1 for _, y in pairs if y == b) <= caps_r[b], f"mentor {b} over capacity"
    assert pinned <= set(pairs), "a pin is missing"
    assert not forbidden & set(pairs), "a forbidden pair was used"
    for pair in set(pairs) - pinned:
        score, ok = naive_score(document, people_e[pair[0]], people_r[pair[1]])
        assert ok, f"{pair} breaks a required rule"
        assert score >= document["min_score"] - 1e-6, f"{pair} is below min_score"


@FAST
@given(problems())
def test_capacities_required_rules_pins_and_forbids_are_never_violated(document):
    _check_feasible(document, solve(parse_problem(document)))


@FAST
@given(problems())
def test_same_input_gives_byte_identical_output(document):
    first = result_json(solve(parse_problem(document)))
    second = result_json(solve(parse_problem(document)))
    assert first == second


@FAST
@given(problems(objectives=("total",)), st.data())
def test_forbidding_a_pair_never_raises_the_optimum(document, data):
    before = solve(parse_problem(document))
    free = [
        (m["mentee"], m["mentor"])
        for m in before["matches"]
        if [m["mentee"], m["mentor"]] not in document["pinned"]
    ]
    if not free:
        return
    document["forbidden"].append(list(data.draw(st.sampled_from(free))))
    after = solve(parse_problem(document))
    key = lambda r: (r["stats"]["matched"], round(r["stats"]["total_score"] * 1e6))  # noqa: E731
    assert key(after) <= key(before)


@FAST
@given(problems(objectives=("fair", "total")))
def test_every_person_left_out_has_a_reason(document):
    result = solve(parse_problem(document))
    matched = {m["mentee"] for m in result["matches"]} | {m["mentor"] for m in result["matches"]}
    listed = {(u["side"], u["id"]) for u in result["unmatched"]}
    for side, people in (("mentee", document["mentees"]), ("mentor", document["mentors"])):
        for person in people:
            assert (person["id"] in matched) != ((side, person["id"]) in listed)
    assert all(u["reason"] for u in result["unmatched"])


def test_scores_follow_the_matching_md_table():
    rng = random.Random(3)
    document = random_document(rng, 40, 30, "total", required=False)
    document["criteria"].append(
        {"name": "bio", "type": "text", "mentee": "bio", "mentor": "bio", "weight": 2}
    )
    words = ["python", "teams", "growth", "data", "design", "coaching", "sales"]
    for person in document["mentees"] + document["mentors"]:
        person["attributes"]["bio"] = " ".join(rng.sample(words, 3))
    result = solve(parse_problem(document))
    people_e = {p["id"]: p for p in document["mentees"]}
    people_r = {p["id"]: p for p in document["mentors"]}
    for match in result["matches"]:
        a, b = people_e[match["mentee"]], people_r[match["mentor"]]
        text_a = set(a["attributes"]["bio"].split())
        text_b = set(b["attributes"]["bio"].split())
        cosine = len(text_a & text_b) / (len(text_a) * len(text_b)) ** 0.5
        base, _ = naive_score({"criteria": document["criteria"][:-1]}, a, b)
        expected = (base * 6 + 2 * cosine) / 8
        assert abs(match["score"] - expected) <= 1.5e-6


def test_reasons_list_every_criterion_strongest_first_with_details():
    document = {
        "objective": "total",
        "mentees": [
            {
                "id": "a1",
                "attributes": {"wants": ["Python", "leadership", "sql"], "lang": "en", "tz": 1},
            }
        ],
        "mentors": [
            {
                "id": "b1",
                "attributes": {"offers": ["python ", "Leadership"], "lang": ["EN", "fr"], "tz": 3},
            }
        ],
        "criteria": [
            {"name": "language", "type": "same", "mentee": "lang", "mentor": "lang", "weight": 1},
            {
                "name": "skills",
                "type": "overlap",
                "mentee": "wants",
                "mentor": "offers",
                "weight": 3,
            },
            {
                "name": "timezone",
                "type": "near",
                "mentee": "tz",
                "mentor": "tz",
                "within": 4,
                "weight": 1,
            },
        ],
    }
    match = solve(parse_problem(document))["matches"][0]
    assert [r["criterion"] for r in match["reasons"]] == ["skills", "language", "timezone"]
    assert match["reasons"][0] == {
        "criterion": "skills",
        "value": 0.666667,
        "detail": "shared: python, leadership",
    }
    assert match["reasons"][2]["value"] == 0.5
    assert match["score"] == round((3 * 2 / 3 + 1 + 0.5) / 5, 6)


def test_unmatched_reason_names_the_rule_that_excluded_most():
    document = {
        "objective": "fair",
        "mentees": [
            {"id": "a1", "attributes": {"lang": "en", "tz": 0}},
            {"id": "a2", "attributes": {"lang": "jp", "tz": 0}},
            {"id": "a3", "attributes": {"lang": "en", "tz": 1}},
        ],
        "mentors": [
            {"id": "b1", "attributes": {"lang": "en", "tz": 0}},
            {"id": "b2", "attributes": {"lang": "en", "tz": 9}},
        ],
        "criteria": [
            {
                "name": "language",
                "type": "same",
                "mentee": "lang",
                "mentor": "lang",
                "required": True,
            },
            {
                "name": "timezone",
                "type": "near",
                "mentee": "tz",
                "mentor": "tz",
                "within": 3,
                "required": True,
            },
        ],
    }
    result = solve(parse_problem(document))
    reasons = {u["id"]: u["reason"] for u in result["unmatched"]}
    assert reasons["a2"] == "no allowed mentor (language)"
    assert reasons["b2"] == "no allowed mentee (timezone)"
    loser = "a1" if "a1" in reasons else "a3"
    assert reasons[loser].startswith("capacity taken by better uses")


def test_pruned_pairs_are_certified_on_a_wide_problem():
    # 150 mentees x 200 mentors with no required rules: most pairs are pruned by the scan.
    rng = random.Random(9)
    document = random_document(rng, 150, 200, "fair", max_capacity=1, required=False)
    result = solve(parse_problem(document))
    assert result["stats"]["optimal"] is True
    assert result["stats"]["allowed_pairs"] > 40 * 150  # more than the scan keeps per mentee
