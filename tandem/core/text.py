"""Text people write, checked the same way in every service: stripped, no NUL (PostgreSQL
cannot store one), and within its length; a refusal names the field."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def clean_text(value: str, *, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: "Remove the NUL character (\\0): text cannot hold it."})
    if len(text) > max_length:
        raise ValidationError(
            {field: f"At most {max_length:,} characters; this has {len(text):,}."}
        )
    return text
