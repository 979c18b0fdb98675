"""A relationship after the match: pause, resume, conclude and re-ignite; closing
reflections; milestones."""
