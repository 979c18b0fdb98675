"""The product's one door into the matching engine: JSON documents in, JSON documents out."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


class EngineInputError(ValueError):
    """The engine rejected the problem; the message names the place and the rule."""


def solve_document(document: dict[str, Any]) -> dict[str, Any]:
    """Validate and solve a problem document (MATCHING.md); return the result document."""
    from tandem.matching.engine.solve import solve

    return solve(_parse(document))


def _parse(document: dict[str, Any]) -> Any:
    from tandem.matching.engine.problem import ProblemError, parse_problem

    try:
        return parse_problem(document)
    except ProblemError as error:
        raise EngineInputError(str(error)) from error


def candidates_document(
    document: dict[str, Any],
    mentee_id: str,
    *,
    limit: int | None = None,
    allowed_only: bool = False,
    preferred: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Every mentor for one mentee, best first, with score, allowed, excluding rules, reasons.

    `preferred` mentors (a set of ids) come before the others, each group best first.
    """
    from tandem.matching.engine.pairs import candidates_for

    return candidates_for(
        _parse(document), mentee_id, limit=limit, allowed_only=allowed_only, preferred=preferred
    )


def preview_document(document: dict[str, Any]) -> dict[str, Any]:
    """Allowed pairs, the score spread and who has no allowed partner, for the rules page."""
    from tandem.matching.engine.pairs import preview

    return preview(_parse(document))
