from django.apps import AppConfig


class MentorshipsConfig(AppConfig):
    name = "tandem.mentorships"
    label = "mentorships"

    def ready(self) -> None:
        # Wiring only: "My program" (programs, below us) asks who a participant is matched with.
        from tandem.mentorships.selectors import (
            current_matches_for_participant,
            relationships_of_participant_for_coordinator,
        )
        from tandem.programs.matches import (
            register_coordinator_match_lookup,
            register_match_lookup,
        )

        register_match_lookup(current_matches_for_participant)
        register_coordinator_match_lookup(relationships_of_participant_for_coordinator)
