"""Throttling: login attempts (django-axes) and the account emails a visitor can trigger.

The login form posts the address as `username`, while axes by default looks for the user
model's USERNAME_FIELD (`email`): failures were then recorded without an account and a locked
account could still log in. Addresses are also one identity whatever their case, so an attacker
must not get fresh attempts by writing MIA@ instead of mia@.

Axes counts by client address too, from `client_address`: behind the one trusted proxy
(BEHIND_PROXY) that is the address the proxy saw, not the proxy's own; otherwise five bad tries
from anyone would lock everyone out.

Wired in settings: AXES_USERNAME_CALLABLE = "tandem.accounts.throttling.lockout_username" and
AXES_CLIENT_IP_CALLABLE = "tandem.accounts.throttling.client_address".
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tandem.accounts.models import EmailThrottle, normalize_email

EMAIL_THROTTLE_WINDOW = timedelta(hours=1)


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The normalized address an attempt is for, from the credentials or the posted form."""
    credentials = credentials or {}
    # Failures come from Django's signal ("username"); checks from axes' backend ("email").
    raw = credentials.get("username") or credentials.get("email")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return normalize_email(str(raw)) if raw else None


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent `request`.

    Without BEHIND_PROXY it is the connection's address, and X-Forwarded-For is ignored (anyone
    can send it). Behind the proxy it is the right-most X-Forwarded-For entry: the one the
    trusted proxy appended; entries to its left come from the client and may be forged.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "")
    if not settings.BEHIND_PROXY:
        return remote
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    if not entries:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-1]))
    except ValueError:
        return remote


def _throttle_key(kind: str, value: str) -> str:
    # Hashed: the table holds no addresses, only counts.
    return salted_hmac("tandem.accounts.email_throttle", f"{kind}:{value}").hexdigest()


def email_send_allowed(*, address: str, client: str) -> bool:
    """Whether one more account email may go to `address`, asked for from `client`.

    At most EMAIL_THROTTLE_PER_ADDRESS such emails per address and EMAIL_THROTTLE_PER_CLIENT
    per client address in any hour (password resets, sign-ups and verification links together).
    Counted in the database, one locked row per key, so several app processes count together.
    Records the send when it is allowed; a refused one is not counted.
    """
    now = timezone.now()
    cutoff = now - EMAIL_THROTTLE_WINDOW
    limits = {
        _throttle_key("address", normalize_email(address)): settings.EMAIL_THROTTLE_PER_ADDRESS,
        _throttle_key("client", client): settings.EMAIL_THROTTLE_PER_CLIENT,
    }
    with transaction.atomic():
        EmailThrottle.objects.bulk_create(
            [EmailThrottle(key=key) for key in limits], ignore_conflicts=True
        )
        # Locked in key order, so two requests never wait for each other's second row.
        rows = list(
            EmailThrottle.objects.select_for_update().filter(key__in=limits).order_by("key")
        )
        recent = {
            row.key: [sent for sent in row.sent if datetime.fromisoformat(sent) > cutoff]
            for row in rows
        }
        if any(len(recent[key]) >= limit for key, limit in limits.items()):
            return False
        for row in rows:
            row.sent = [*recent[row.key], now.isoformat()]
            row.updated_at = now
            row.save(update_fields=["sent", "updated_at"])
        EmailThrottle.objects.filter(updated_at__lt=cutoff).delete()  # nothing left to count
    return True
