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


class RunSnapshot:
    """A run's problem document, parsed once, to list one mentee's candidates again and again.

    A coordinator reviewing drafts opens one after another of the same run; parsing the whole
    20,000-person snapshot for each took most of the draft page's time. The document is the
    run's own (immutable) snapshot, so a parsed copy stays right for the run's life.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.problem = _parse(document)
        self.capacity = {p.id: p.capacity for p in self.problem.mentors}
        self._mentee_index = {p.id: i for i, p in enumerate(self.problem.mentees)}

    def candidates(
        self,
        mentee_id: str,
        *,
        limit: int | None = None,
        allowed_only: bool = False,
        preferred: Collection[str] = (),
    ) -> list[dict[str, Any]]:
        """As `candidates_document` on the snapshot (KeyError for a mentee not in it)."""
        import dataclasses

        from tandem.matching.engine.pairs import candidates_for

        problem = self.problem
        if not problem.is_peer:
            # The mentee's scores read nothing of the other mentees: score this one alone.
            mentee = problem.mentees[self._mentee_index[mentee_id]]
            problem = dataclasses.replace(
                problem,
                mentees=(mentee,),
                pinned=tuple(pair for pair in problem.pinned if pair[0] == mentee_id),
                forbidden=tuple(pair for pair in problem.forbidden if pair[0] == mentee_id),
            )
        return candidates_for(
            problem, mentee_id, limit=limit, allowed_only=allowed_only, preferred=preferred
        )
