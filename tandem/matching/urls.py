from django.urls import path

from tandem.matching import manual_views, self_match_views, views

app_name = "matching"

urlpatterns = [
    path("programs/<id:program_id>/matching/rules/", views.rules, name="rules"),
    path(
        "programs/<id:program_id>/matching/rules/preview/",
        views.rules_preview,
        name="rules_preview",
    ),
    path(
        "programs/<id:program_id>/matching/rules/<id:criterion_id>/",
        views.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "programs/<id:program_id>/matching/rules/<id:criterion_id>/delete/",
        views.criterion_delete,
        name="criterion_delete",
    ),
    path(
        "programs/<id:program_id>/matching/pairs/", views.pair_rule_create, name="pair_rule_create"
    ),
    path(
        "programs/<id:program_id>/matching/pairs/<id:rule_id>/delete/",
        views.pair_rule_delete,
        name="pair_rule_delete",
    ),
    path("programs/<id:program_id>/matching/", views.runs, name="runs"),
    path("programs/<id:program_id>/matching/runs/<id:run_id>/", views.run_detail, name="run"),
    path(
        "programs/<id:program_id>/matching/runs/<id:run_id>/progress/",
        views.run_progress,
        name="run_progress",
    ),
    path(
        "programs/<id:program_id>/matching/runs/<id:run_id>/approve/",
        views.run_approve,
        name="run_approve",
    ),
    path(
        "programs/<id:program_id>/matching/drafts/<id:draft_id>/",
        views.draft_detail,
        name="draft",
    ),
    path(
        "programs/<id:program_id>/matching/drafts/<id:draft_id>/approve/",
        views.draft_approve,
        name="draft_approve",
    ),
    path(
        "programs/<id:program_id>/matching/drafts/<id:draft_id>/swap/",
        views.draft_swap,
        name="draft_swap",
    ),
    path(
        "programs/<id:program_id>/matching/drafts/<id:draft_id>/dismiss/",
        views.draft_dismiss,
        name="draft_dismiss",
    ),
    # Manual matching
    path("programs/<id:program_id>/matching/manual/", manual_views.manual_start, name="manual"),
    path(
        "programs/<id:program_id>/matching/manual/<id:participant_id>/",
        manual_views.manual_suggestions,
        name="manual_suggestions",
    ),
    path(
        "programs/<id:program_id>/matching/manual/<id:mentee_id>/<id:mentor_id>/",
        manual_views.manual_compare,
        name="manual_compare",
    ),
    # Self-matching, for participants
    path("my/<id:program_id>/mentors/", self_match_views.browse, name="browse"),
    path(
        "my/<id:program_id>/mentors/<id:mentor_id>/request/",
        self_match_views.request_create,
        name="request_create",
    ),
    path("my/<id:program_id>/requests/", self_match_views.my_requests, name="my_requests"),
    path(
        "my/<id:program_id>/requests/<id:request_id>/accept/",
        self_match_views.request_accept,
        name="request_accept",
    ),
    path(
        "my/<id:program_id>/requests/<id:request_id>/decline/",
        self_match_views.request_decline,
        name="request_decline",
    ),
    path(
        "my/<id:program_id>/requests/<id:request_id>/withdraw/",
        self_match_views.request_withdraw,
        name="request_withdraw",
    ),
]
