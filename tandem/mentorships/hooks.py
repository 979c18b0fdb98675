"""What higher apps do when a relationship starts, or starts again (resumed, re-ignited).

Relationships live here, below the apps that follow them up (support asks its members for
check-ins), so this app cannot call them: they register a callback when they start (their
AppConfig.ready), and the services below call every callback inside their transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from tandem.mentorships.models import Relationship

Started = Callable[[Relationship], None]
_started: list[Started] = []


def on_relationship_started(callback: Started) -> None:
    if callback not in _started:
        _started.append(callback)


def relationship_started(relationship: Relationship) -> None:
    for callback in _started:
        callback(relationship)
