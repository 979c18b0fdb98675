from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tandem.accounts.time_zones import validate_time_zone, zone_named

# RFC 5321 allows 254 characters in a path; validate_email lets up to 320 through, which would
# overflow the column on PostgreSQL. Every address taken from outside is held to this.
EMAIL_MAX_LENGTH = 254


def email_too_long(email: str) -> str | None:
    """The message for an address longer than an account can hold, or None."""
    if len(email) <= EMAIL_MAX_LENGTH:
        return None
    return f"An email address has at most {EMAIL_MAX_LENGTH} characters; this one has {len(email)}."


def normalize_email(email: str) -> str:
    """Emails are one identity whatever their case: stored and compared lower-cased."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email: required")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)  # None gives an unusable password: an invited person
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        # An operator creates a superuser on the command line: no sign-up to verify.
        extra.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an email address; may belong to several organizations."""

    email = models.EmailField("email address", unique=True, max_length=EMAIL_MAX_LENGTH)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the Django admin (superusers only by policy)."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # When the person proved they read this mailbox (a verification, invitation or password
    # reset link). Until then the account cannot log in, join a program or be claimed.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # An IANA name; blank until the person is asked (on first use of a relationship's page).
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        # Participant lists sort by name, then email: the index walks them in that order.
        indexes = [models.Index(fields=["full_name", "email", "id"], name="user_name_order")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Where this person's clock is: times are shown to them in it (UTC until they say)."""
        return zone_named(self.time_zone)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)


class EmailThrottle(models.Model):
    """Recent emails sent for one key (a hashed address or client address), across processes.

    One row per key, locked while it is read and written, so that several app processes count
    together; `sent` holds the ISO times of the sends inside the window.
    """

    key = models.CharField(max_length=64, unique=True)
    sent = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{len(self.sent)} recent email(s)"


class NotificationSettings(models.Model):
    """A person's email choices (see tandem.accounts.preferences); no row means the defaults."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # Groups of notifications (preferences.EMAIL_GROUPS) the person gets in Tandem only.
    email_off = models.JSONField(default=list, blank=True)
    message_digest = models.CharField(max_length=10, default="hourly")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(message_digest__in=["hourly", "daily", "off"]),
                name="notification_settings_digest_valid",
            )
        ]

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notice for one person; the email of the same event goes out beside it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[NotificationQuerySet] = NotificationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"
