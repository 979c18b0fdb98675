from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "tandem.support"
    label = "support"

    def ready(self) -> None:
        # Wiring only: a relationship that starts (or starts again) is scheduled for check-ins.
        from tandem.mentorships.hooks import on_relationship_started
        from tandem.support.checkins.schedule import checkin_schedule

        on_relationship_started(checkin_schedule)
