"""Sessions in people's calendars: .ics files on session emails and pages, and private feeds."""
