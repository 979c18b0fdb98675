from django.urls import path

from tandem.mentorships import views

app_name = "mentorships"

urlpatterns = [
    path("relationships/<id:relationship_id>/", views.relationship_detail, name="relationship"),
]
