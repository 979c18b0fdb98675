"""Goals of a relationship's members: written with the program's goal-setting prompts, with
tasks and progress, private by default.

Modules by concern: `access` (only the owner writes a goal), `services` (the writes),
`selectors` (who sees which fields, decided in one place), `forms`, `views`.
"""
