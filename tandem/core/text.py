"""Text people write, checked the same way in every service: line breaks as one character,
stripped, no NUL (PostgreSQL cannot store one), and within its length; a refusal names the
field. And the idempotency keys forms carry."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError


def clean_text(value: str, *, field: str, max_length: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()  # a browser sends a line break as two
    if "\x00" in text:
        raise ValidationError({field: "Remove the NUL character (\\0): text cannot hold it."})
    if len(text) > max_length:
        raise ValidationError(
            {field: f"At most {max_length:,} characters; this has {len(text):,}."}
        )
    return text


def clean_key(value: str) -> str:
    """An idempotency key from our own form: URL-safe text; anything else is dropped."""
    return re.sub(r"[^A-Za-z0-9_-]", "", value or "")[:64]
