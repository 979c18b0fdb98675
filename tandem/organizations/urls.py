from django.urls import path

from tandem.organizations import views

app_name = "organizations"

urlpatterns = [
    path("orgs/<id:organization_id>/members/", views.members, name="members"),
    path(
        "orgs/<id:organization_id>/members/<id:membership_id>/role/",
        views.member_role,
        name="member_role",
    ),
    path("org-invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path(
        "org-invitations/<str:token>/signup/",
        views.invitation_signup,
        name="invitation_signup",
    ),
]
