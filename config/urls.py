from django.contrib import admin
from django.http import HttpRequest
from django.urls import include, path, register_converter

from tandem.core.ids import IdConverter

# Before the includes below: every app's patterns take their ids as <id:…>.
register_converter(IdConverter, "id")

from tandem.mentorships import views as mentorship_views  # noqa: E402


def _superusers_only(request: HttpRequest) -> bool:
    # The Django admin is for operators of the installation, not organization admins.
    return bool(request.user.is_active and request.user.is_superuser)


admin.site.has_permission = _superusers_only  # type: ignore[method-assign]
admin.site.site_header = "Tandem administration"

urlpatterns = [
    path("", mentorship_views.home, name="home"),
    path("accounts/", include("tandem.accounts.urls")),
    path("", include("tandem.organizations.urls")),
    path("", include("tandem.programs.urls")),
    path("", include("tandem.matching.urls")),
    path("", include("tandem.mentorships.urls")),
    path("", include("tandem.support.urls")),
    path("", include("tandem.health.urls")),
    path("admin/", admin.site.urls),
]
