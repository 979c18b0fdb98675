from django.urls import path

from tandem.matching import views

app_name = "matching"

urlpatterns = [
    path("programs/<int:program_id>/matching/rules/", views.rules, name="rules"),
    path(
        "programs/<int:program_id>/matching/rules/<int:criterion_id>/",
        views.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "programs/<int:program_id>/matching/rules/<int:criterion_id>/delete/",
        views.criterion_delete,
        name="criterion_delete",
    ),
    path(
        "programs/<int:program_id>/matching/pairs/", views.pair_rule_create, name="pair_rule_create"
    ),
    path(
        "programs/<int:program_id>/matching/pairs/<int:rule_id>/delete/",
        views.pair_rule_delete,
        name="pair_rule_delete",
    ),
    path("programs/<int:program_id>/matching/", views.runs, name="runs"),
    path("programs/<int:program_id>/matching/runs/<int:run_id>/", views.run_detail, name="run"),
    path(
        "programs/<int:program_id>/matching/runs/<int:run_id>/progress/",
        views.run_progress,
        name="run_progress",
    ),
    path(
        "programs/<int:program_id>/matching/runs/<int:run_id>/approve/",
        views.run_approve,
        name="run_approve",
    ),
    path(
        "programs/<int:program_id>/matching/drafts/<int:draft_id>/",
        views.draft_detail,
        name="draft",
    ),
    path(
        "programs/<int:program_id>/matching/drafts/<int:draft_id>/approve/",
        views.draft_approve,
        name="draft_approve",
    ),
    path(
        "programs/<int:program_id>/matching/drafts/<int:draft_id>/dismiss/",
        views.draft_dismiss,
        name="draft_dismiss",
    ),
]
