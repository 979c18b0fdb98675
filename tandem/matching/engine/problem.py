"""The matching problem (MATCHING.md, version 1): a typed model and its validation.

`parse_problem` turns a JSON-like document into a `Problem` or raises `ProblemError` naming the
place and the rule, e.g. ``mentors[3].capacity: must be an integer >= 0, got -1``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

FORMAT = "tandem-matching/1"
OBJECTIVES = ("total", "fair", "stable", "peer")
CRITERION_TYPES = ("overlap", "same", "different", "range", "near", "text")
# Scores are exact integers in millionths ("micro-points"); see docs/matching.md.
SCORE_SCALE = 1_000_000
MAX_GIVEN_SCORE = 1_000_000.0

AttributeValue = str | float | int | list[str] | None


class ProblemError(ValueError):
    """Invalid input: `place` says where, `rule` says which rule was broken."""

    def __init__(self, place: str, rule: str) -> None:
        super().__init__(f"{place}: {rule}")
        self.place = place
        self.rule = rule


@dataclass(frozen=True)
class Participant:
    """A mentee, a mentor or a peer."""

    id: str
    capacity: int
    attributes: dict[str, AttributeValue] = field(default_factory=dict)

    def value(self, attribute: str) -> AttributeValue:
        """The attribute's value, with ``@id`` meaning the participant's own id."""
        if attribute == "@id":
            return self.id
        return self.attributes.get(attribute)


@dataclass(frozen=True)
class Criterion:
    """One rule comparing a mentee attribute with a mentor attribute."""

    name: str
    type: str
    mentee: str
    mentor: str
    weight: float = 1.0
    required: bool = False
    min: float | None = None
    max: float | None = None
    within: float | None = None


@dataclass(frozen=True)
class Preferences:
    """Explicit ranked lists for the `stable` objective (best first)."""

    mentees: dict[str, tuple[str, ...]]
    mentors: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Problem:
    """A validated matching problem."""

    objective: str
    mentees: tuple[Participant, ...]
    mentors: tuple[Participant, ...]
    criteria: tuple[Criterion, ...]
    min_score: float = 0.0
    pinned: tuple[tuple[str, str], ...] = ()
    forbidden: tuple[tuple[str, str], ...] = ()
    scores: tuple[tuple[str, str, float], ...] | None = None
    preferences: Preferences | None = None
    group_size: int = 2
    # Legal but worth telling: a pair listed twice in `pinned` or `forbidden` counts once.
    notes: tuple[str, ...] = ()

    @property
    def is_peer(self) -> bool:
        """Peer problems have one list; it is stored as both mentees and mentors."""
        return self.objective == "peer"


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))
    )


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_keys(obj: dict[str, Any], allowed: tuple[str, ...], place: str) -> None:
    for key in obj:
        if key not in allowed:
            where = f"{place}.{key}" if place else key
            raise ProblemError(where, f"unknown field (allowed: {', '.join(allowed)})")


_SIMPLE_TYPES = frozenset((str, int, type(None)))
_VALUE_TYPES = _SIMPLE_TYPES | {list, float}
_STR_TYPE = frozenset((str,))


def _plain_attributes(attributes: dict[str, Any]) -> bool:
    """True if every attribute is valid as given (the fast path; C-level checks mostly)."""
    keys = attributes.keys()
    if not keys:
        return True
    if not set(map(type, keys)) <= _STR_TYPE:
        return False
    joined = "\0" + "\0".join(keys)
    if "\0@" in joined or "\0\0" in joined or joined.endswith("\0"):
        return False  # a name that is empty or starts with @
    values = attributes.values()
    kinds = set(map(type, values))
    if kinds <= _SIMPLE_TYPES:
        return True
    if not kinds <= _VALUE_TYPES:
        return False
    if list in kinds:
        items = chain.from_iterable([v for v in values if type(v) is list])
        if not set(map(type, items)) <= _STR_TYPE:
            return False
    return float not in kinds or all(map(math.isfinite, [v for v in values if type(v) is float]))


def _parse_participants(data: Any, side: str, min_capacity: int) -> tuple[Participant, ...]:
    if not isinstance(data, list):
        raise ProblemError(side, f"must be a list of participants, got {_show(data)}")
    seen: dict[str, int] = {}
    people = []
    allowed = frozenset(("id", "capacity", "attributes"))
    for index, item in enumerate(data):
        # Fast path for the common, valid case (exact JSON types); anything else takes the
        # general path below, which names the place and the rule.
        if type(item) is dict and item.keys() <= allowed:
            ident = item.get("id")
            capacity = item.get("capacity", 1)
            attributes = item.get("attributes", {})
            if (
                type(ident) is str
                and ident.strip()
                and ident not in seen
                and type(capacity) is int
                and capacity >= min_capacity
                and type(attributes) is dict
                and _plain_attributes(attributes)
            ):
                seen[ident] = index
                # Valid as given: shared, not copied (a 50,000-person cohort is large).
                people.append(Participant(id=ident, capacity=capacity, attributes=attributes))
                continue
        place = f"{side}[{index}]"
        if not isinstance(item, dict):
            raise ProblemError(place, f"must be an object, got {_show(item)}")
        _check_keys(item, ("id", "capacity", "attributes"), place)
        ident = item.get("id")
        if not isinstance(ident, str) or not ident.strip():
            raise ProblemError(f"{place}.id", f"must be a non-empty string, got {_show(ident)}")
        if ident in seen:
            raise ProblemError(
                f"{place}.id", f"duplicate id {_show(ident)} (first at {side}[{seen[ident]}])"
            )
        seen[ident] = index
        capacity = item.get("capacity", 1)
        if not _is_integer(capacity) or capacity < min_capacity:
            raise ProblemError(
                f"{place}.capacity",
                f"must be an integer >= {min_capacity}, got {_show(capacity)}",
            )
        attributes = item.get("attributes", {})
        if not isinstance(attributes, dict):
            raise ProblemError(f"{place}.attributes", f"must be an object, got {_show(attributes)}")
        clean: dict[str, AttributeValue] = {}
        for key, value in attributes.items():
            where = f"{place}.attributes.{key}"
            if key.startswith("@") or not key:
                raise ProblemError(where, "attribute names must be non-empty and not start with @")
            if value is None or isinstance(value, str) or _is_number(value):
                clean[key] = value
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                clean[key] = list(value)
            else:
                raise ProblemError(
                    where,
                    f"must be a string, a number, a list of strings or null, got {_show(value)}",
                )
        people.append(Participant(id=ident, capacity=capacity, attributes=clean))
    return tuple(people)


def _number_field(item: dict[str, Any], key: str, place: str) -> float | None:
    if key not in item or item[key] is None:
        return None
    value = item[key]
    if not _is_number(value):
        raise ProblemError(f"{place}.{key}", f"must be a number, got {_show(value)}")
    return float(value)


def _parse_criteria(data: Any) -> tuple[Criterion, ...]:
    if not isinstance(data, list):
        raise ProblemError("criteria", f"must be a list, got {_show(data)}")
    names: dict[str, int] = {}
    criteria = []
    for index, item in enumerate(data):
        place = f"criteria[{index}]"
        if not isinstance(item, dict):
            raise ProblemError(place, f"must be an object, got {_show(item)}")
        _check_keys(
            item,
            ("name", "type", "mentee", "mentor", "weight", "required", "min", "max", "within"),
            place,
        )
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ProblemError(f"{place}.name", f"must be a non-empty string, got {_show(name)}")
        if name in names:
            raise ProblemError(
                f"{place}.name",
                f"duplicate criterion name {_show(name)} (first at criteria[{names[name]}])",
            )
        names[name] = index
        kind = item.get("type")
        if kind not in CRITERION_TYPES:
            raise ProblemError(
                f"{place}.type",
                f"unknown criterion type {_show(kind)} (one of: {', '.join(CRITERION_TYPES)})",
            )
        attributes = {}
        for side in ("mentee", "mentor"):
            attribute = item.get(side)
            if not isinstance(attribute, str) or not attribute:
                raise ProblemError(
                    f"{place}.{side}",
                    f"must name an attribute (a non-empty string), got {_show(attribute)}",
                )
            if attribute.startswith("@") and attribute != "@id":
                raise ProblemError(
                    f"{place}.{side}", f"unknown pseudo-attribute {_show(attribute)} (only @id)"
                )
            if attribute == "@id" and kind in ("range", "near"):
                raise ProblemError(
                    f"{place}.{side}", f"@id is not a number, so {kind} cannot use it"
                )
            attributes[side] = attribute
        weight = item.get("weight", 1)
        if not _is_number(weight) or weight < 0:
            raise ProblemError(f"{place}.weight", f"must be a number >= 0, got {_show(weight)}")
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise ProblemError(f"{place}.required", f"must be true or false, got {_show(required)}")
        if required and kind == "text":
            raise ProblemError(f"{place}.required", "a text criterion cannot be required")
        low = _number_field(item, "min", place)
        high = _number_field(item, "max", place)
        within = _number_field(item, "within", place)
        if kind != "range" and ("min" in item or "max" in item):
            raise ProblemError(place, f"min and max belong to range criteria, not {kind}")
        if kind != "near" and "within" in item:
            raise ProblemError(f"{place}.within", f"within belongs to near criteria, not {kind}")
        if kind == "range":
            if low is None and high is None:
                raise ProblemError(place, "a range criterion needs min, max or both")
            if low is not None and high is not None and low > high:
                raise ProblemError(f"{place}.max", f"must be >= min ({low:g}), got {high:g}")
        if kind == "near" and (within is None or within <= 0):
            raise ProblemError(
                f"{place}.within", f"must be a number > 0, got {_show(item.get('within'))}"
            )
        criteria.append(
            Criterion(
                name=name,
                type=kind,
                mentee=attributes["mentee"],
                mentor=attributes["mentor"],
                weight=float(weight),
                required=required,
                min=low,
                max=high,
                within=within,
            )
        )
    return tuple(criteria)


def _parse_pairs(
    data: Any,
    key: str,
    mentee_ids: dict[str, int],
    mentor_ids: dict[str, int],
    peer: bool,
    notes: list[str],
) -> tuple[tuple[tuple[str, str], ...], tuple[int, ...]]:
    """The distinct pairs of a `pinned` or `forbidden` list in first-listed order, and where
    each was listed (its index in `data`, for messages).

    The same rule twice is one rule (MATCHING.md): a repeat, or for peers the same two people
    in the other order, is dropped and noted in `notes`.
    """
    if not isinstance(data, list):
        raise ProblemError(
            key, f"must be a list of [mentee id, mentor id] pairs, got {_show(data)}"
        )
    seen: dict[tuple[str, str], int] = {}
    pairs = []
    left, right = ("participants", "participants") if peer else ("mentees", "mentors")
    for index, item in enumerate(data):
        place = f"{key}[{index}]"
        if not (
            isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) for v in item)
        ):
            raise ProblemError(place, f"must be a pair of ids [mentee, mentor], got {_show(item)}")
        a, b = item
        if a not in mentee_ids:
            raise ProblemError(f"{place}[0]", f"unknown id {_show(a)} (not in {left})")
        if b not in mentor_ids:
            raise ProblemError(f"{place}[1]", f"unknown id {_show(b)} (not in {right})")
        if peer and a == b:
            raise ProblemError(place, f"a peer cannot be paired with themself ({_show(a)})")
        pair = (min(a, b), max(a, b)) if peer else (a, b)
        if pair in seen:
            notes.append(f"{place}: the same pair as {key}[{seen[pair]}], counted once")
            continue
        seen[pair] = index
        pairs.append((a, b))
    return tuple(pairs), tuple(seen.values())


def _check_numeric_attributes(
    criteria: tuple[Criterion, ...], sides: list[tuple[str, tuple[Participant, ...], str]]
) -> None:
    for criterion in criteria:
        if criterion.type not in ("range", "near"):
            continue
        for side_key, people, role in sides:
            attribute = criterion.mentee if role == "mentee" else criterion.mentor
            for index, person in enumerate(people):
                value = person.attributes.get(attribute)
                if value is not None and not _is_number(value):
                    raise ProblemError(
                        f"{side_key}[{index}].attributes.{attribute}",
                        f"criterion {_show(criterion.name)} ({criterion.type}) needs a number, "
                        f"got {_show(value)}",
                    )


def parse_problem(data: Any) -> Problem:
    """Validate a JSON-like document and return the typed problem, or raise `ProblemError`."""
    if not isinstance(data, dict):
        raise ProblemError("(document)", f"must be a JSON object, got {_show(data)}")
    _check_keys(
        data,
        (
            "format",
            "objective",
            "mentees",
            "mentors",
            "participants",
            "criteria",
            "min_score",
            "pinned",
            "forbidden",
            "scores",
            "preferences",
            "group_size",
        ),
        "",
    )
    if "format" in data and data["format"] != FORMAT:
        raise ProblemError("format", f"must be {_show(FORMAT)}, got {_show(data['format'])}")
    objective = data.get("objective", "fair")
    if objective not in OBJECTIVES:
        raise ProblemError(
            "objective", f"must be one of {', '.join(OBJECTIVES)}, got {_show(objective)}"
        )
    peer = objective == "peer"
    if peer:
        for key in ("mentees", "mentors"):
            if key in data:
                raise ProblemError(key, 'not used by objective "peer" (use participants)')
        if "participants" not in data:
            raise ProblemError("participants", 'is required when objective is "peer"')
        mentees = _parse_participants(data["participants"], "participants", 1)
        mentors = mentees
    else:
        if "participants" in data:
            raise ProblemError(
                "participants", 'only for objective "peer" (use mentees and mentors)'
            )
        for key in ("mentees", "mentors"):
            if key not in data:
                raise ProblemError(key, "is required")
        mentees = _parse_participants(data["mentees"], "mentees", 1)
        mentors = _parse_participants(data["mentors"], "mentors", 0)
    if objective == "stable":
        for index, person in enumerate(mentees):
            if person.capacity != 1:
                raise ProblemError(
                    f"mentees[{index}].capacity",
                    f'must be 1 when objective is "stable", got {person.capacity}',
                )
    criteria = _parse_criteria(data.get("criteria", []))
    if peer:
        _check_numeric_attributes(
            criteria, [("participants", mentees, "mentee"), ("participants", mentees, "mentor")]
        )
    else:
        _check_numeric_attributes(
            criteria, [("mentees", mentees, "mentee"), ("mentors", mentors, "mentor")]
        )
    min_score = data.get("min_score", 0.0)
    if not _is_number(min_score):
        raise ProblemError("min_score", f"must be a number, got {_show(min_score)}")
    mentee_ids = {p.id: i for i, p in enumerate(mentees)}
    mentor_ids = {p.id: i for i, p in enumerate(mentors)}
    notes: list[str] = []
    pinned, pinned_at = _parse_pairs(
        data.get("pinned", []), "pinned", mentee_ids, mentor_ids, peer, notes
    )
    forbidden, listed_at = _parse_pairs(
        data.get("forbidden", []), "forbidden", mentee_ids, mentor_ids, peer, notes
    )
    forbidden_at = {
        (min(a, b), max(a, b)) if peer else (a, b): i
        for i, (a, b) in zip(listed_at, forbidden, strict=True)
    }
    used: dict[str, int] = {}
    for index, (a, b) in zip(pinned_at, pinned, strict=True):
        pair_key = (min(a, b), max(a, b)) if peer else (a, b)
        if pair_key in forbidden_at:
            raise ProblemError(
                f"pinned[{index}]", f"pair is also forbidden (forbidden[{forbidden_at[pair_key]}])"
            )
        for side, ident, people, ids in (
            ("participants" if peer else "mentees", a, mentees, mentee_ids),
            ("participants" if peer else "mentors", b, mentors, mentor_ids),
        ):
            count_key = ident if peer else f"{side}:{ident}"
            used[count_key] = used.get(count_key, 0) + 1
            capacity = people[ids[ident]].capacity
            if peer:
                capacity = 1
            if used[count_key] > capacity:
                raise ProblemError(
                    f"pinned[{index}]",
                    f"{_show(ident)} is pinned {used[count_key]} times, over capacity {capacity}",
                )
    scores = None
    if "scores" in data and data["scores"] is not None:
        raw = data["scores"]
        if not isinstance(raw, list):
            raise ProblemError(
                "scores", f"must be a list of [mentee id, mentor id, score], got {_show(raw)}"
            )
        seen: dict[tuple[str, str], int] = {}
        parsed = []
        for index, item in enumerate(raw):
            place = f"scores[{index}]"
            if not (
                isinstance(item, list)
                and len(item) == 3
                and isinstance(item[0], str)
                and isinstance(item[1], str)
            ):
                raise ProblemError(
                    place, f"must be [mentee id, mentor id, score], got {_show(item)}"
                )
            a, b, value = item
            if a not in mentee_ids:
                raise ProblemError(f"{place}[0]", f"unknown id {_show(a)}")
            if b not in mentor_ids:
                raise ProblemError(f"{place}[1]", f"unknown id {_show(b)}")
            if peer and a == b:
                raise ProblemError(place, "a peer cannot be paired with themself")
            if not _is_number(value) or abs(value) > MAX_GIVEN_SCORE:
                raise ProblemError(
                    f"{place}[2]",
                    f"must be a number between -1000000 and 1000000, got {_show(value)}",
                )
            pair = (min(a, b), max(a, b)) if peer else (a, b)
            if pair in seen:
                raise ProblemError(place, f"duplicate pair (first at scores[{seen[pair]}])")
            seen[pair] = index
            parsed.append((a, b, float(value)))
        scores = tuple(parsed)
    preferences = None
    if "preferences" in data and data["preferences"] is not None:
        if objective != "stable":
            raise ProblemError(
                "preferences", f'only for objective "stable", not {_show(objective)}'
            )
        raw_prefs = data["preferences"]
        if not isinstance(raw_prefs, dict):
            raise ProblemError("preferences", f"must be an object, got {_show(raw_prefs)}")
        _check_keys(raw_prefs, ("mentees", "mentors"), "preferences")
        lists: dict[str, dict[str, tuple[str, ...]]] = {}
        for side, own, other in (
            ("mentees", mentee_ids, mentor_ids),
            ("mentors", mentor_ids, mentee_ids),
        ):
            block = raw_prefs.get(side, {})
            if not isinstance(block, dict):
                raise ProblemError(f"preferences.{side}", f"must be an object, got {_show(block)}")
            lists[side] = {}
            for ident, ranking in block.items():
                place = f"preferences.{side}.{ident}"
                if ident not in own:
                    raise ProblemError(place, f"unknown id {_show(ident)} (not in {side})")
                if not isinstance(ranking, list) or not all(isinstance(v, str) for v in ranking):
                    raise ProblemError(
                        place, f"must be a list of ids, best first, got {_show(ranking)}"
                    )
                for position, choice in enumerate(ranking):
                    if choice not in other:
                        raise ProblemError(f"{place}[{position}]", f"unknown id {_show(choice)}")
                if len(set(ranking)) != len(ranking):
                    raise ProblemError(place, "lists an id more than once")
                lists[side][ident] = tuple(ranking)
        preferences = Preferences(mentees=lists["mentees"], mentors=lists["mentors"])
    group_size = data.get("group_size", 2)
    if "group_size" in data and not peer:
        raise ProblemError("group_size", 'only for objective "peer"')
    if not _is_integer(group_size) or not 2 <= group_size <= 10:
        raise ProblemError(
            "group_size", f"must be an integer from 2 to 10, got {_show(group_size)}"
        )
    return Problem(
        objective=objective,
        mentees=mentees,
        mentors=mentors,
        criteria=criteria,
        min_score=float(min_score),
        pinned=pinned,
        forbidden=forbidden,
        scores=scores,
        preferences=preferences,
        group_size=group_size,
        notes=tuple(notes),
    )


def load_problem(text: str | bytes) -> Problem:
    """Parse JSON text and validate it; malformed JSON is a `ProblemError` too."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProblemError(
            f"(document) line {error.lineno} column {error.colno}", f"malformed JSON: {error.msg}"
        ) from None
    except (UnicodeDecodeError, RecursionError) as error:
        raise ProblemError("(document)", f"malformed JSON: {error}") from None
    return parse_problem(data)
