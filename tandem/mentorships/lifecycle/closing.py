"""Closing reflections: when a relationship concludes, each member writes what went well, what
they learned and whether they would do it again. Private by default, shareable with the
partner(s); never shown to the coordinator, who may see only how many were written."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.text import clean_text
from tandem.mentorships.lifecycle.changes import actor_for
from tandem.mentorships.models import Again, ClosingReflection, RelationshipStatus

TEXT_MAX = 5000


@transaction.atomic
def closing_reflection_save(
    *,
    relationship_id: int,
    user: User,
    went_well: str,
    learned: str,
    again: str,
    shared: bool = False,
) -> ClosingReflection:
    actor = actor_for(user, relationship_id)
    if actor.relationship.status != RelationshipStatus.CONCLUDED:
        raise ValidationError(
            "A closing reflection is written once the relationship has concluded.",
            code="not_concluded",
        )
    values = {
        "went_well": clean_text(went_well, field="went_well", max_length=TEXT_MAX),
        "learned": clean_text(learned, field="learned", max_length=TEXT_MAX),
    }
    if again not in Again.values and again != "":
        raise ValidationError({"again": "Choose yes, not sure or no."})
    if not values["went_well"] and not values["learned"]:
        raise ValidationError({"went_well": "Write at least what went well or what you learned."})
    now = timezone.now()
    reflection, _ = ClosingReflection.objects.update_or_create(
        relationship=actor.relationship,
        author=user,
        defaults={**values, "again": again, "shared": shared, "updated_at": now},
        create_defaults={**values, "again": again, "shared": shared, "written_at": now},
    )
    return reflection
