"""Every validation rule of MATCHING.md: rejected as a whole, with the place and the rule."""

import copy

import pytest

from tandem.matching.engine import ProblemError, load_problem, parse_problem, solve


@pytest.fixture(autouse=True)
def _tandem_test_settings():
    """The engine needs no Django: this stands in for the suite-wide settings fixture."""


BASE = {
    "format": "tandem-matching/1",
    "objective": "fair",
    "mentees": [
        {"id": "a1", "attributes": {"wants": ["python"], "level": 2}},
        {"id": "a2", "attributes": {"wants": ["sql"], "level": 3}},
    ],
    "mentors": [
        {"id": "b1", "capacity": 2, "attributes": {"offers": ["python"], "level": 5}},
        {"id": "b2", "attributes": {"offers": ["sql"], "level": 4}},
    ],
    "criteria": [
        {"name": "skills", "type": "overlap", "mentee": "wants", "mentor": "offers"},
        {"name": "gap", "type": "range", "mentee": "level", "mentor": "level", "min": 1, "max": 4},
    ],
}


def _with(change):
    document = copy.deepcopy(BASE)
    change(document)
    return document


def _error(document) -> str:
    with pytest.raises(ProblemError) as caught:
        parse_problem(document)
    return str(caught.value)


def test_base_document_is_valid():
    assert parse_problem(copy.deepcopy(BASE)).objective == "fair"


CASES = [
    (
        "not an object",
        lambda d: d.clear() or d.update({"mentees": "x", "mentors": []}),
        "mentees: must be a list",
    ),
    ("unknown field", lambda d: d.update({"colour": 1}), "colour: unknown field"),
    ("wrong format", lambda d: d.update({"format": "v2"}), 'format: must be "tandem-matching/1"'),
    ("unknown objective", lambda d: d.update({"objective": "best"}), "objective: must be one of"),
    ("missing mentors", lambda d: d.pop("mentors"), "mentors: is required"),
    (
        "empty id",
        lambda d: d["mentees"][1].update({"id": ""}),
        "mentees[1].id: must be a non-empty string",
    ),
    (
        "numeric id",
        lambda d: d["mentors"][0].update({"id": 7}),
        "mentors[0].id: must be a non-empty string",
    ),
    (
        "duplicate mentee id",
        lambda d: d["mentees"][1].update({"id": "a1"}),
        'mentees[1].id: duplicate id "a1"',
    ),
    (
        "duplicate mentor id",
        lambda d: d["mentors"][1].update({"id": "b1"}),
        'mentors[1].id: duplicate id "b1"',
    ),
    (
        "negative mentor capacity",
        lambda d: d["mentors"][1].update({"capacity": -1}),
        "mentors[1].capacity: must be an integer >= 0, got -1",
    ),
    (
        "zero mentee capacity",
        lambda d: d["mentees"][0].update({"capacity": 0}),
        "mentees[0].capacity: must be an integer >= 1, got 0",
    ),
    (
        "fractional capacity",
        lambda d: d["mentors"][0].update({"capacity": 1.5}),
        "mentors[0].capacity: must be an integer >= 0, got 1.5",
    ),
    (
        "boolean capacity",
        lambda d: d["mentors"][0].update({"capacity": True}),
        "mentors[0].capacity: must be an integer >= 0, got true",
    ),
    (
        "object attribute",
        lambda d: d["mentees"][0]["attributes"].update({"x": {"a": 1}}),
        "mentees[0].attributes.x: must be a string, a number, a list of strings or null",
    ),
    (
        "list of numbers",
        lambda d: d["mentees"][0]["attributes"].update({"x": [1, 2]}),
        "mentees[0].attributes.x: must be a string, a number, a list of strings or null",
    ),
    (
        "reserved attribute",
        lambda d: d["mentees"][0]["attributes"].update({"@id": "z"}),
        "mentees[0].attributes.@id: attribute names must be non-empty and not start with @",
    ),
    (
        "unknown criterion type",
        lambda d: d["criteria"][0].update({"type": "similar"}),
        'criteria[0].type: unknown criterion type "similar"',
    ),
    (
        "duplicate criterion name",
        lambda d: d["criteria"][1].update({"name": "skills"}),
        'criteria[1].name: duplicate criterion name "skills"',
    ),
    (
        "negative weight",
        lambda d: d["criteria"][0].update({"weight": -2}),
        "criteria[0].weight: must be a number >= 0, got -2",
    ),
    (
        "required text",
        lambda d: d["criteria"].append(
            {"name": "bio", "type": "text", "mentee": "b", "mentor": "b", "required": True}
        ),
        "criteria[2].required: a text criterion cannot be required",
    ),
    (
        "range without bounds",
        lambda d: d["criteria"][1].pop("min") and d["criteria"][1].pop("max"),
        "criteria[1]: a range criterion needs min, max or both",
    ),
    (
        "range min above max",
        lambda d: d["criteria"][1].update({"min": 5, "max": 1}),
        "criteria[1].max: must be >= min (5)",
    ),
    (
        "near without within",
        lambda d: d["criteria"].append(
            {"name": "tz", "type": "near", "mentee": "t", "mentor": "t"}
        ),
        "criteria[2].within: must be a number > 0",
    ),
    (
        "near zero within",
        lambda d: d["criteria"].append(
            {"name": "tz", "type": "near", "mentee": "t", "mentor": "t", "within": 0}
        ),
        "criteria[2].within: must be a number > 0, got 0",
    ),
    (
        "within on overlap",
        lambda d: d["criteria"][0].update({"within": 3}),
        "criteria[0].within: within belongs to near",
    ),
    (
        "range on @id",
        lambda d: d["criteria"][1].update({"mentor": "@id"}),
        "criteria[1].mentor: @id is not a number",
    ),
    (
        "non-numeric range value",
        lambda d: d["mentors"][1]["attributes"].update({"level": "senior"}),
        'mentors[1].attributes.level: criterion "gap" (range) needs a number, got "senior"',
    ),
    (
        "non-numeric near value",
        lambda d: (
            d["criteria"].append(
                {"name": "tz", "type": "near", "mentee": "tz", "mentor": "tz", "within": 3}
            ),
            d["mentees"][0]["attributes"].update({"tz": ["x"]}),
        ),
        'mentees[0].attributes.tz: criterion "tz" (near) needs a number, got ["x"]',
    ),
    (
        "pin of unknown mentee",
        lambda d: d.update({"pinned": [["zz", "b1"]]}),
        'pinned[0][0]: unknown id "zz"',
    ),
    (
        "pin of unknown mentor",
        lambda d: d.update({"pinned": [["a1", "zz"]]}),
        'pinned[0][1]: unknown id "zz"',
    ),
    ("malformed pin", lambda d: d.update({"pinned": [["a1"]]}), "pinned[0]: must be a pair of ids"),
    (
        "pin over mentor capacity",
        lambda d: d.update({"pinned": [["a1", "b2"], ["a2", "b2"]]}),
        'pinned[1]: "b2" is pinned 2 times, over capacity 1',
    ),
    (
        "pin over mentee capacity",
        lambda d: d.update({"pinned": [["a1", "b2"], ["a1", "b1"]]}),
        'pinned[1]: "a1" is pinned 2 times, over capacity 1',
    ),
    (
        "pin also forbidden",
        lambda d: d.update({"pinned": [["a1", "b1"]], "forbidden": [["a1", "b1"]]}),
        "pinned[0]: pair is also forbidden (forbidden[0])",
    ),
    (
        "pin also forbidden, named where each was first listed",
        lambda d: d.update(
            {"pinned": [["a2", "b2"], ["a2", "b2"], ["a1", "b1"]], "forbidden": [["a1", "b1"]]}
        ),
        "pinned[2]: pair is also forbidden (forbidden[0])",
    ),
    (
        "pin over capacity, named where it was listed after a repeat",
        lambda d: d.update({"pinned": [["a1", "b2"], ["a1", "b2"], ["a1", "b1"]]}),
        'pinned[2]: "a1" is pinned 2 times, over capacity 1',
    ),
    (
        "stable with mentee capacity 2",
        lambda d: d.update({"objective": "stable"}) or d["mentees"][1].update({"capacity": 2}),
        'mentees[1].capacity: must be 1 when objective is "stable", got 2',
    ),
    (
        "preferences without stable",
        lambda d: d.update({"preferences": {"mentees": {}}}),
        'preferences: only for objective "stable"',
    ),
    (
        "preferences naming unknown mentor",
        lambda d: d.update({"objective": "stable", "preferences": {"mentees": {"a1": ["b9"]}}}),
        'preferences.mentees.a1[0]: unknown id "b9"',
    ),
    (
        "score for unknown pair",
        lambda d: d.update({"scores": [["a1", "b9", 0.5]]}),
        'scores[0][1]: unknown id "b9"',
    ),
    (
        "non-numeric score",
        lambda d: d.update({"scores": [["a1", "b1", "high"]]}),
        "scores[0][2]: must be a number",
    ),
    (
        "duplicate score",
        lambda d: d.update({"scores": [["a1", "b1", 1], ["a1", "b1", 2]]}),
        "scores[1]: duplicate pair",
    ),
    (
        "non-numeric min_score",
        lambda d: d.update({"min_score": "0.5"}),
        "min_score: must be a number",
    ),
    (
        "group size on bipartite",
        lambda d: d.update({"group_size": 3}),
        'group_size: only for objective "peer"',
    ),
    (
        "peer without participants",
        lambda d: d.update({"objective": "peer"}),
        'mentees: not used by objective "peer"',
    ),
    (
        "peer group too large",
        lambda d: [
            d.pop("mentees"),
            d.pop("mentors"),
            d.update({"objective": "peer", "participants": [{"id": "p"}], "group_size": 11}),
        ],
        "group_size: must be an integer from 2 to 10, got 11",
    ),
]


@pytest.mark.parametrize(("label", "change", "message"), CASES, ids=[c[0] for c in CASES])
def test_invalid_input_names_place_and_rule(label, change, message):
    assert message in _error(_with(change)), label


def test_malformed_json_names_line_and_column():
    with pytest.raises(ProblemError) as caught:
        load_problem('{"mentees": [\n  {"id": "a"},\n  ]')
    assert "line 3 column 3: malformed JSON" in str(caught.value)


def test_criterion_naming_missing_attribute_is_a_warning_not_an_error():
    document = _with(
        lambda d: d["criteria"].append(
            {"name": "tz", "type": "near", "mentee": "timezone", "mentor": "tz", "within": 3}
        )
    )
    result = solve(parse_problem(document))
    assert 'criteria[2].mentee: no mentee has attribute "timezone"' in result["warnings"]
    assert 'criteria[2].mentor: no mentor has attribute "tz"' in result["warnings"]


def test_valid_document_has_no_warnings():
    assert "warnings" not in solve(parse_problem(copy.deepcopy(BASE)))


@pytest.mark.parametrize(
    ("attributes", "plain"),
    [
        ({}, True),
        ({"a": 1, "b": "x", "c": None, "d": ["x"], "e": []}, True),
        ({"a": 1.5}, True),
        ({"@a": 1}, False),
        ({"": 1}, False),
        ({"a": "x", "": 2}, False),
        ({"a": 1, "@b": 2}, False),
        ({"a": float("nan")}, False),
        ({"a": float("inf"), "b": 1.0}, False),
        ({"a": [1]}, False),
        ({"a": ["x", None]}, False),
        ({"a": True}, False),
        ({"a": {}}, False),
        ({1: 2}, False),
    ],
)
def test_fast_path_accepts_exactly_the_plain_attributes(attributes, plain):
    """The fast path takes valid attributes as given; anything else goes to the checked path."""
    from tandem.matching.engine.problem import _plain_attributes

    assert _plain_attributes(attributes) is plain


def _pairs(result) -> set[tuple[str, str]]:
    return {(m["mentee"], m["mentor"]) for m in result["matches"]}


def test_a_forbidden_pair_listed_twice_counts_once_and_warns():
    # a1 and b1 are each other's only good partners, so forbidding them changes the answer.
    once = solve(parse_problem(_with(lambda d: d.update({"forbidden": [["a1", "b1"]]}))))
    twice = solve(
        parse_problem(_with(lambda d: d.update({"forbidden": [["a1", "b1"], ["a1", "b1"]]})))
    )
    assert ("a1", "b1") not in _pairs(twice)
    assert twice["matches"] == once["matches"]
    assert twice["unmatched"] == once["unmatched"]
    assert "warnings" not in once
    assert twice["warnings"] == ["forbidden[1]: the same pair as forbidden[0], counted once"]


def test_a_pinned_pair_listed_twice_is_one_pin_within_capacity():
    # a1 may take one mentor: pinning the same pair twice must not count as two places.
    document = _with(
        lambda d: d.update({"pinned": [["a2", "b1"], ["a1", "b2"], ["a2", "b1"], ["a2", "b1"]]})
    )
    result = solve(parse_problem(document))
    assert _pairs(result) == {("a2", "b1"), ("a1", "b2")}
    assert [m["mentee"] for m in result["matches"]].count("a2") == 1
    assert result["warnings"] == [
        "pinned[2]: the same pair as pinned[0], counted once",
        "pinned[3]: the same pair as pinned[0], counted once",
    ]


def test_peers_listed_in_either_order_are_the_same_pair():
    document = {
        "format": "tandem-matching/1",
        "objective": "peer",
        "participants": [{"id": p, "attributes": {"t": ["x"]}} for p in ("p1", "p2", "p3", "p4")],
        "criteria": [{"name": "topic", "type": "overlap", "mentee": "t", "mentor": "t"}],
        "forbidden": [["p1", "p2"], ["p2", "p1"]],
        "pinned": [["p3", "p4"], ["p4", "p3"]],
    }
    problem = parse_problem(document)
    assert problem.forbidden == (("p1", "p2"),)
    assert problem.pinned == (("p3", "p4"),)
    result = solve(problem)
    assert "forbidden[1]: the same pair as forbidden[0], counted once" in result["warnings"]
    assert "pinned[1]: the same pair as pinned[0], counted once" in result["warnings"]
    matched = {frozenset(m["peers"]) for m in result["matches"]}
    assert frozenset(("p1", "p2")) not in matched
    assert frozenset(("p3", "p4")) in matched
