"""What each person wants by email: per kind of event, on or off; and how often a digest of new
messages comes (hourly, daily, or never).

A notification's kind starts with the word of its group (`session_scheduled`, `agenda_sent`,
`relationship_paused`…), so a kind added by any app falls into its group's switch without being
listed here. Kinds of no group listed below always email. Account emails (sign-up, password
reset, invitations) are not notifications and are never switched off.
"""

from __future__ import annotations

from typing import Any

HOURLY, DAILY, OFF = "hourly", "daily", "off"
DIGEST_CHOICES = [
    (HOURLY, "Hourly: at most one email an hour for each relationship"),
    (DAILY, "Daily: one email in the morning (08:00 your time)"),
    (OFF, "Never: I read them in Tandem"),
]

# group word → what the person switches on or off
EMAIL_GROUPS: dict[str, str] = {
    "session": "Sessions: proposed, scheduled, cancelled (with the calendar file), and a "
    "nudge when none is planned",
    "agenda": "Agendas: one sent to you, and the reminder to send yours",
    "reflection": "Reflections: the prompt after a session",
    "goal": "Goals shared with you",
    "relationship": "Your relationship: paused, resumed, concluded, re-ignited",
    "match": "Matches and match requests",
}


def group_of(kind: str) -> str:
    return kind.split("_", 1)[0]


def _settings(user: Any) -> Any:
    from tandem.accounts.models import NotificationSettings

    try:
        return user.notification_settings
    except NotificationSettings.DoesNotExist:
        return None


def wants_email(user: Any, kind: str) -> bool:
    """Whether `user` wants an email for a notification of `kind` (yes, unless they said no)."""
    group = group_of(kind)
    if group not in EMAIL_GROUPS:
        return True
    settings = _settings(user)
    return settings is None or group not in settings.email_off


def message_digest_frequency(user: Any) -> str:
    """HOURLY (the default), DAILY or OFF."""
    settings = _settings(user)
    return HOURLY if settings is None else settings.message_digest


def wanting_email(users: list[Any], kind: str) -> list[Any]:
    """Those of `users` who want an email for `kind`, in one query however many they are."""
    from tandem.accounts.models import NotificationSettings

    group = group_of(kind)
    if group not in EMAIL_GROUPS or not users:
        return list(users)
    # JSON containment differs between SQLite and PostgreSQL: read the lists and look.
    off = {
        user_id
        for user_id, groups in NotificationSettings.objects.filter(
            user_id__in=[u.pk for u in users]
        ).values_list("user_id", "email_off")
        if group in groups
    }
    return [u for u in users if u.pk not in off]
