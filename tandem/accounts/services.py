"""Writes for accounts."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

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


def notifications_mark_read(*, user: User, url: str) -> int:
    """Mark a person's unread notifications pointing at `url` as read (on visiting it)."""
    return user.notifications.unread().filter(url=url).update(read_at=timezone.now())
