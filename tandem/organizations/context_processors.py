from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tandem.organizations.models import Membership, Role


def roles(request: HttpRequest) -> dict[str, object]:
    """Whether to show coordinator navigation; queried only if a template asks."""

    def can_coordinate() -> bool:
        user = request.user
        return user.is_authenticated and (
            Membership.objects.filter(user=user, role__in=[Role.ADMIN, Role.COORDINATOR]).exists()
        )

    return {"user_can_coordinate": SimpleLazyObject(can_coordinate)}
