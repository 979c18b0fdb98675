from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from tandem.core.models import TimeStampedModel

if TYPE_CHECKING:
    from tandem.accounts.models import User


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Role(models.TextChoices):
    ADMIN = "admin", "Organization admin"
    COORDINATOR = "coordinator", "Coordinator"
    MEMBER = "member", "Member"


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def visible_to(self, user: User) -> OrganizationQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)

    def administered_by(self, user: User) -> OrganizationQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user, memberships__role=Role.ADMIN)


class Organization(TimeStampedModel):
    """A company, university, nonprofit or community that runs mentoring programs."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)

    objects: ClassVar[OrganizationQuerySet] = OrganizationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A person's place in an organization, with the one role that governs what they may do."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique"),
        ]
        ordering = ["organization", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.get_role_display()})"

    @property
    def can_coordinate(self) -> bool:
        return self.role in (Role.ADMIN, Role.COORDINATOR)


class CoordinatorInvitation(TimeStampedModel):
    """An org admin's invitation, by email, to become a coordinator of the organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="coordinator_invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COORDINATOR)
    token = models.CharField(max_length=64, unique=True, default=new_token)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True),
                name="coordinator_invitation_pending_unique",
            ),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization}"

    @property
    def expired(self) -> bool:
        age = timezone.now() - self.created_at
        return age > datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
