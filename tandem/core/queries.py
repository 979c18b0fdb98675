"""Query pieces shared by the apps' selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, QuerySet, Subquery


def latest_per(queryset: QuerySet[Any], column: str, group: str = "relationship") -> Subquery:
    """The latest `column` of `queryset` for the outer row, as a subquery to annotate with;
    `queryset` filters on the outer row (OuterRef) and `group` names the column it joins by."""
    return Subquery(queryset.order_by().values(group).annotate(at=Max(column)).values("at"))
