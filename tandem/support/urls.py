from django.urls import path

from tandem.support.checkins import views as checkins
from tandem.support.requests import views as v

app_name = "support"

urlpatterns = [
    # The author
    path("my/<id:program_id>/support/ask/", v.request_new, name="request_new"),
    path("my/<id:program_id>/support/requests/", v.my_requests, name="my_support_requests"),
    path(
        "my/<id:program_id>/support/requests/<id:support_id>/",
        v.my_request,
        name="my_support_request",
    ),
    path("my/<id:program_id>/checkins/<id:checkin_id>/", checkins.checkin, name="checkin"),
    # Coordinators
    path("programs/<id:program_id>/checkins/", checkins.checkins, name="checkins"),
    path("support/", v.queue_all, name="queue_all"),
    path("programs/<id:program_id>/support/", v.queue, name="queue"),
    path("programs/<id:program_id>/support/<id:support_id>/", v.request_detail, name="request"),
    *[
        path(
            f"programs/<id:program_id>/support/<id:support_id>/{action}/",
            v.act,
            {"action": action},
            name=action,
        )
        for action in ("acknowledge", "assign", "reply", "resolve", "pause")
    ],
]
