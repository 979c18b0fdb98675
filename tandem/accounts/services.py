"""Writes for accounts."""

from __future__ import annotations

from django.db import transaction

from tandem.accounts.models import User


@transaction.atomic
def user_sign_up(
    *, email: str, full_name: str, password: str, existing: User | None = None
) -> User:
    """Create an account, or give an invited person (no password yet) their password."""
    if existing is not None:
        existing.full_name = full_name or existing.full_name
        existing.set_password(password)
        existing.save(update_fields=["full_name", "password"])
        return existing
    return User.objects.create_user(email=email, password=password, full_name=full_name)
