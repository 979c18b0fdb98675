"""Request helpers shared by every app's views."""

from django.http import HttpRequest

from tandem.accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in person of a view behind @login_required, typed as Tandem's User."""
    assert isinstance(request.user, User)
    return request.user
