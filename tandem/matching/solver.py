"""The product's one door into the matching engine: JSON documents in, JSON documents out."""

from __future__ import annotations

from typing import Any


class EngineInputError(ValueError):
    """The engine rejected the problem; the message names the place and the rule."""


def solve_document(document: dict[str, Any]) -> dict[str, Any]:
    """Validate and solve a problem document (MATCHING.md); return the result document."""
    from tandem.matching.engine.problem import ProblemError, parse_problem
    from tandem.matching.engine.solve import solve

    try:
        problem = parse_problem(document)
    except ProblemError as error:
        raise EngineInputError(str(error)) from error
    return solve(problem)
