"""The JSON Schema of the input document (``tandem match --schema``)."""

from __future__ import annotations

from typing import Any

from .problem import CRITERION_TYPES, FORMAT, OBJECTIVES


def problem_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a `tandem-matching/1` problem.

    The schema describes the shape; rules that span fields (unique ids, known ids in pairs, pins
    within capacity, numbers for range/near attributes) are checked by `parse_problem`.
    """
    id_string = {"type": "string", "minLength": 1}
    attribute_value = {
        "oneOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "array", "items": {"type": "string"}},
            {"type": "null"},
        ]
    }

    def participant(min_capacity: int) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {
                "id": id_string,
                "capacity": {"type": "integer", "minimum": min_capacity, "default": 1},
                "attributes": {
                    "type": "object",
                    "propertyNames": {"pattern": "^[^@]"},
                    "additionalProperties": attribute_value,
                },
            },
        }

    pair = {"type": "array", "prefixItems": [id_string, id_string], "minItems": 2, "maxItems": 2}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://tandem.example/schemas/tandem-matching-1.json",
        "title": "Tandem matching problem",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "format": {"const": FORMAT},
            "objective": {"enum": list(OBJECTIVES), "default": "fair"},
            "mentees": {"type": "array", "items": participant(1)},
            "mentors": {"type": "array", "items": participant(0)},
            "participants": {"type": "array", "items": participant(1)},
            "criteria": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name", "type", "mentee", "mentor"],
                    "properties": {
                        "name": id_string,
                        "type": {"enum": list(CRITERION_TYPES)},
                        "mentee": {"type": "string", "minLength": 1},
                        "mentor": {"type": "string", "minLength": 1},
                        "weight": {"type": "number", "minimum": 0, "default": 1},
                        "required": {"type": "boolean", "default": False},
                        "min": {"type": "number"},
                        "max": {"type": "number"},
                        "within": {"type": "number", "exclusiveMinimum": 0},
                    },
                },
            },
            "min_score": {"type": "number", "default": 0},
            "pinned": {"type": "array", "items": pair},
            "forbidden": {"type": "array", "items": pair},
            "scores": {
                "type": "array",
                "items": {
                    "type": "array",
                    "prefixItems": [
                        id_string,
                        id_string,
                        {"type": "number", "minimum": -1000000, "maximum": 1000000},
                    ],
                    "minItems": 3,
                    "maxItems": 3,
                },
            },
            "preferences": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    side: {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": id_string},
                    }
                    for side in ("mentees", "mentors")
                },
            },
            "group_size": {"type": "integer", "minimum": 2, "maximum": 10, "default": 2},
        },
    }
