from django.urls import path

from tandem.health import views

app_name = "health"

urlpatterns = [
    path("programs/<id:program_id>/health/", views.health, name="health"),
    path(
        "programs/<id:program_id>/health/relationships.csv",
        views.export_relationships,
        name="export_relationships",
    ),
    path("programs/<id:program_id>/health/health.csv", views.export_health, name="export_health"),
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
