"""Importing the events of a calendar a space already keeps (an ICS URL: Google Calendar,
Nextcloud, a Meetup export) and keeping them current (ARCHITECTURE.md §Calendar import)."""
