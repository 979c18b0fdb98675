from django.urls import path

from tandem.mentorships import views
from tandem.mentorships.goals import views as goals
from tandem.mentorships.sessions import views as sessions

app_name = "mentorships"

urlpatterns = [
    path("relationships/<int:relationship_id>/", views.relationship_detail, name="relationship"),
    path(
        "relationships/<int:relationship_id>/sessions/new/",
        sessions.session_propose,
        name="session_propose",
    ),
    path(
        "relationships/<int:relationship_id>/sessions/log/",
        sessions.session_log,
        name="session_log",
    ),
    path("sessions/<int:session_id>/", sessions.session_detail, name="session"),
    path("sessions/<int:session_id>/pick/", sessions.session_pick, name="session_pick"),
    path("sessions/<int:session_id>/decline/", sessions.session_decline, name="session_decline"),
    path("sessions/<int:session_id>/cancel/", sessions.session_cancel, name="session_cancel"),
    path("sessions/<int:session_id>/record/", sessions.session_record, name="session_record"),
    path("sessions/<int:session_id>/agenda/", sessions.agenda, name="agenda"),
    path("relationships/<int:relationship_id>/goals/new/", goals.goal_create, name="goal_create"),
    path("goals/<int:goal_id>/edit/", goals.goal_edit, name="goal_edit"),
    path("goals/<int:goal_id>/sharing/", goals.goal_share, name="goal_share"),
    path("goals/<int:goal_id>/progress/", goals.goal_progress, name="goal_progress"),
    path("goals/<int:goal_id>/tasks/", goals.goal_task_add, name="goal_task_add"),
    path("goals/tasks/<int:task_id>/done/", goals.goal_task_mark, name="goal_task_mark"),
    path("goals/tasks/<int:task_id>/delete/", goals.goal_task_delete, name="goal_task_delete"),
    path(
        "programs/<int:program_id>/relationships/<int:relationship_id>/",
        sessions.relationship_overview,
        name="relationship_overview",
    ),
]
