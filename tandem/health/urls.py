from django.urls import path

from tandem.health import views

app_name = "health"

urlpatterns = [
    path("programs/<id:program_id>/health/", views.health, name="health"),
    *[
        path(
            f"programs/<id:program_id>/health/<id:relationship_id>/{action}/",
            views.act,
            {"action": action},
            name=action,
        )
        for action in ("nudge", "checkin")
    ],
]
