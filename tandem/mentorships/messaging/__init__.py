"""Messages between the members of a relationship: sending, reading, and digest emails."""
