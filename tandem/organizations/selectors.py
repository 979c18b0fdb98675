"""Reads for organization pages; the access helpers here are the only way views fetch one."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from tandem.accounts.models import User
from tandem.organizations.models import Membership, Organization, Role


def get_organization_for_admin(user: User, organization_id: int) -> Organization:
    """The organization, if `user` administers it; 404 otherwise (never 403: no existence leak)."""
    try:
        return Organization.objects.administered_by(user).get(pk=organization_id)
    except Organization.DoesNotExist:
        raise Http404("No such organization.") from None


def organizations_where_coordinating(user: User) -> QuerySet[Organization]:
    """Organizations in which `user` may create programs."""
    if not user.is_authenticated:
        return Organization.objects.none()
    return Organization.objects.filter(
        memberships__user=user, memberships__role__in=[Role.ADMIN, Role.COORDINATOR]
    ).distinct()


def memberships_for_organization(organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("role", "user__email")
