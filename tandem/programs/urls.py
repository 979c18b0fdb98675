from django.urls import path

from tandem.programs import participant_views as pv
from tandem.programs import views as v

app_name = "programs"

urlpatterns = [
    # Coordinators
    path("programs/", v.program_list, name="list"),
    path("programs/new/", v.program_create, name="create"),
    path("programs/<id:program_id>/", v.program_overview, name="overview"),
    path("programs/<id:program_id>/edit/", v.program_edit, name="edit"),
    path("programs/<id:program_id>/status/", v.program_status, name="status"),
    path("programs/<id:program_id>/questions/", v.question_list, name="questions"),
    path(
        "programs/<id:program_id>/questions/<id:question_id>/",
        v.question_edit,
        name="question_edit",
    ),
    path(
        "programs/<id:program_id>/questions/<id:question_id>/delete/",
        v.question_delete,
        name="question_delete",
    ),
    path(
        "programs/<id:program_id>/questions/<id:question_id>/move/",
        v.question_move,
        name="question_move",
    ),
    path("programs/<id:program_id>/pathways/", v.pathway_list, name="pathways"),
    path(
        "programs/<id:program_id>/pathways/<id:pathway_id>/",
        v.pathway_edit,
        name="pathway_edit",
    ),
    path(
        "programs/<id:program_id>/pathways/<id:pathway_id>/delete/",
        v.pathway_delete,
        name="pathway_delete",
    ),
    path(
        "programs/<id:program_id>/pathways/<id:pathway_id>/move/",
        v.pathway_move,
        name="pathway_move",
    ),
    path("programs/<id:program_id>/agendas/", v.agenda_template_list, name="agenda_templates"),
    path(
        "programs/<id:program_id>/agendas/<id:template_id>/",
        v.agenda_template_edit,
        name="agenda_template_edit",
    ),
    path(
        "programs/<id:program_id>/agendas/<id:template_id>/delete/",
        v.agenda_template_delete,
        name="agenda_template_delete",
    ),
    path(
        "programs/<id:program_id>/agendas/<id:template_id>/move/",
        v.agenda_template_move,
        name="agenda_template_move",
    ),
    path("programs/<id:program_id>/coordinators/", v.coordinators, name="coordinators"),
    path("programs/<id:program_id>/invitations/", v.invitations, name="invitations"),
    path("programs/<id:program_id>/import/", v.participant_import, name="import"),
    path("programs/<id:program_id>/participants/", v.participant_list, name="participants"),
    path(
        "programs/<id:program_id>/participants/<id:participant_id>/",
        v.participant_detail,
        name="participant",
    ),
    # Joining
    path("join/<str:token>/", pv.join_link, name="join_link"),
    path("join/invitation/<str:token>/", pv.join_invitation, name="join_invitation"),
    path("join/program/<id:program_id>/guidelines/", pv.join_guidelines, name="join_guidelines"),
    path("join/program/<id:program_id>/role/", pv.join_role, name="join_role"),
    path("join/program/<id:program_id>/answers/", pv.join_answers, name="join_answers"),
    path("join/program/<id:program_id>/done/", pv.join_done, name="join_done"),
    # Participants
    path("my/<id:program_id>/", pv.my_program, name="my_program"),
    path("my/<id:program_id>/profile/", pv.my_profile, name="my_profile"),
    path("my/<id:program_id>/support/", pv.support, name="support"),
    path("my/<id:program_id>/guidance/", pv.mentor_guidance, name="mentor_guidance"),
    path("my/<id:program_id>/withdraw/", pv.withdraw, name="withdraw"),
]
