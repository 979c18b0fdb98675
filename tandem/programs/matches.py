"""What a participant's own pages say about their matches, answered by a higher app.

Relationships live in mentorships, above programs, so programs cannot ask for them itself: the
mentorships app registers the lookup when it starts (its AppConfig.ready), and until then (or
without it) nobody has a match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tandem.programs.models import Participant


@dataclass(frozen=True)
class CurrentMatch:
    partner_names: list[str]
    url: str


MatchLookup = Callable[[Participant], list[CurrentMatch]]
_lookups: list[MatchLookup] = []


def register_match_lookup(lookup: MatchLookup) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


def current_matches_for(participant: Participant) -> list[CurrentMatch]:
    """The participant's open matches in their program, from every registered lookup."""
    return [match for lookup in _lookups for match in lookup(participant)]


# The same question asked by the program's coordinator: the link leads to their view of the
# relationship (when sessions took place), not to the members' workspace.
_coordinator_lookups: list[MatchLookup] = []


def register_coordinator_match_lookup(lookup: MatchLookup) -> None:
    if lookup not in _coordinator_lookups:
        _coordinator_lookups.append(lookup)


def matches_for_coordinator(participant: Participant) -> list[CurrentMatch]:
    """The participant's relationships as the coordinator of their program sees them."""
    return [match for lookup in _coordinator_lookups for match in lookup(participant)]
