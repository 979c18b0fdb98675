"""What members write about their sessions: shared notes, private notes and reflections."""
