from django.urls import path

from tandem.mentorships import views
from tandem.mentorships.calendars import views as calendars
from tandem.mentorships.goals import views as goals
from tandem.mentorships.journal import views as journal
from tandem.mentorships.lifecycle import views as lifecycle
from tandem.mentorships.messaging import views as messaging
from tandem.mentorships.sessions import views as sessions

app_name = "mentorships"

urlpatterns = [
    path("relationships/<id:relationship_id>/", views.relationship_detail, name="relationship"),
    path(
        "relationships/<id:relationship_id>/sessions/new/",
        sessions.session_propose,
        name="session_propose",
    ),
    path(
        "relationships/<id:relationship_id>/sessions/log/",
        sessions.session_log,
        name="session_log",
    ),
    path("sessions/<id:session_id>/", sessions.session_detail, name="session"),
    path("sessions/<id:session_id>/pick/", sessions.session_pick, name="session_pick"),
    path("sessions/<id:session_id>/decline/", sessions.session_decline, name="session_decline"),
    path("sessions/<id:session_id>/cancel/", sessions.session_cancel, name="session_cancel"),
    path("sessions/<id:session_id>/record/", sessions.session_record, name="session_record"),
    path("sessions/<id:session_id>/agenda/", sessions.agenda, name="agenda"),
    path("relationships/<id:relationship_id>/goals/new/", goals.goal_create, name="goal_create"),
    path("goals/<id:goal_id>/edit/", goals.goal_edit, name="goal_edit"),
    path("goals/<id:goal_id>/sharing/", goals.goal_share, name="goal_share"),
    path("goals/<id:goal_id>/progress/", goals.goal_progress, name="goal_progress"),
    path("goals/<id:goal_id>/tasks/", goals.goal_task_add, name="goal_task_add"),
    path("goals/tasks/<id:task_id>/done/", goals.goal_task_mark, name="goal_task_mark"),
    path("goals/tasks/<id:task_id>/delete/", goals.goal_task_delete, name="goal_task_delete"),
    path("relationships/<id:relationship_id>/messages/", messaging.messages, name="messages"),
    path(
        "sessions/<id:session_id>/calendar.ics",
        calendars.session_calendar,
        name="session_calendar",
    ),
    path("calendar/", calendars.calendar_settings, name="calendar_settings"),
    path("calendar/<str:token>.ics", calendars.calendar_feed, name="calendar_feed"),
    path("sessions/<id:session_id>/notes/", journal.shared_notes_save, name="session_shared_notes"),
    path(
        "sessions/<id:session_id>/my-notes/",
        journal.private_note_save,
        name="session_private_notes",
    ),
    path(
        "sessions/<id:session_id>/reflection/", journal.reflection_save, name="session_reflection"
    ),
    path(
        "relationships/<id:relationship_id>/reignite/",
        lifecycle.reignite_ask,
        name="relationship_reignite",
    ),
    path(
        "relationships/<id:relationship_id>/reignite/answer/",
        lifecycle.reignite_answer,
        name="relationship_reignite_answer",
    ),
    path(
        "relationships/<id:relationship_id>/closing-reflection/",
        lifecycle.closing_reflection,
        name="closing_reflection",
    ),
    path(
        "relationships/<id:relationship_id>/pause/",
        lifecycle.relationship_change,
        {"action": "pause"},
        name="relationship_pause",
    ),
    path(
        "relationships/<id:relationship_id>/resume/",
        lifecycle.relationship_change,
        {"action": "resume"},
        name="relationship_resume",
    ),
    path(
        "relationships/<id:relationship_id>/conclude/",
        lifecycle.relationship_change,
        {"action": "conclude"},
        name="relationship_conclude",
    ),
    path(
        "programs/<id:program_id>/relationships/<id:relationship_id>/resume/",
        lifecycle.coordinator_change,
        {"action": "resume"},
        name="coordinator_resume",
    ),
    path(
        "programs/<id:program_id>/relationships/<id:relationship_id>/conclude/",
        lifecycle.coordinator_change,
        {"action": "conclude"},
        name="coordinator_conclude",
    ),
    path(
        "programs/<id:program_id>/relationships/<id:relationship_id>/pause/",
        lifecycle.coordinator_change,
        {"action": "pause"},
        name="coordinator_pause",
    ),
    path(
        "programs/<id:program_id>/relationships/<id:relationship_id>/reignite/",
        lifecycle.coordinator_change,
        {"action": "reignite"},
        name="coordinator_reignite",
    ),
    path(
        "programs/<id:program_id>/relationships/<id:relationship_id>/",
        sessions.relationship_overview,
        name="relationship_overview",
    ),
]
