from django.apps import AppConfig


class MentorshipsConfig(AppConfig):
    name = "tandem.mentorships"
    label = "mentorships"

    def ready(self) -> None:
        # Wiring only: "My program" (programs, below us) asks who a participant is matched with.
        from tandem.mentorships.selectors import current_matches_for_participant
        from tandem.programs.matches import register_match_lookup

        register_match_lookup(current_matches_for_participant)
