"""Sessions of a relationship and their agendas: proposing, choosing a time, what became of it.

Modules by concern: `access` (who may act), `times` (zones), `proposing`, `outcomes`,
`agendas`, `reminders` (the scheduled agenda reminder), `next_step` (whose move it is),
`selectors`, `forms`, `views`.
"""
