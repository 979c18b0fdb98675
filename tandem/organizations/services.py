"""Writes for organizations: membership and coordinator invitations."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from tandem.accounts.models import User, normalize_email
from tandem.accounts.services import users_void_unverified
from tandem.core.emails import email_after_commit
from tandem.organizations.models import CoordinatorInvitation, Membership, Organization, Role


@transaction.atomic
def organization_create(*, name: str, admin: User, slug: str = "") -> Organization:
    organization = Organization.objects.create(name=name, slug=slug or slugify(name)[:80])
    Membership.objects.create(organization=organization, user=admin, role=Role.ADMIN)
    return organization


@transaction.atomic
def membership_ensure(
    *, organization: Organization, user: User, role: str = Role.MEMBER
) -> Membership:
    """A membership with at least `role`; an existing higher role is never lowered."""
    membership, created = Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    rank = {Role.MEMBER: 0, Role.COORDINATOR: 1, Role.ADMIN: 2}
    if not created and rank[Role(role)] > rank[Role(membership.role)]:
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor: User) -> Membership:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.role == Role.ADMIN and role != Role.ADMIN:
        # Lock every admin row, not only this one: two admins demoting each other at once
        # must not both see another admin and leave the organization with none.
        admins = list(
            Membership.objects.select_for_update()
            .filter(organization=locked.organization, role=Role.ADMIN)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if len(admins) <= 1:
            raise ValidationError({"role": "An organization needs at least one admin."})
    locked.role = role
    locked.save(update_fields=["role", "updated_at"])
    return locked


@transaction.atomic
def coordinator_invite(
    *, organization: Organization, email: str, invited_by: User, role: str = Role.COORDINATOR
) -> CoordinatorInvitation:
    """Invite someone by email to coordinate programs in `organization`."""
    address = normalize_email(email)
    if Membership.objects.filter(
        organization=organization, user__email=address, role__in=[Role.ADMIN, Role.COORDINATOR]
    ).exists():
        raise ValidationError({"email": f"{address} already coordinates in {organization.name}."})
    try:
        with transaction.atomic():
            invitation = CoordinatorInvitation.objects.create(
                organization=organization, email=address, role=role, invited_by=invited_by
            )
    except IntegrityError:
        raise ValidationError({"email": f"{address} has a pending invitation already."}) from None
    # An unverified sign-up with this address may be someone else's: it must not be the way in.
    users_void_unverified(User.objects.filter(email=address))
    email_after_commit(
        template="coordinator_invitation",
        to=[address],
        context={
            "organization_name": organization.name,
            "inviter_name": invited_by.display_name,
            "role": invitation.get_role_display().lower(),
            "accept_path": reverse("organizations:accept_invitation", args=[invitation.token]),
        },
    )
    return invitation


class InvitationNotValid(Exception):
    pass


@transaction.atomic
def coordinator_invitation_accept(*, token: str, user: User) -> Membership:
    """Accept an invitation as `user`; it must be addressed to their email and unused."""
    invitation = CoordinatorInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or invitation.accepted_at is not None:
        raise InvitationNotValid("This invitation has been used or withdrawn.")
    if invitation.expired:
        raise InvitationNotValid("This invitation has expired. Ask for a new one.")
    if invitation.email != user.email:
        raise InvitationNotValid(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    return membership_ensure(organization=invitation.organization, user=user, role=invitation.role)
