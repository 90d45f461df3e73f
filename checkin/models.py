"""checkin models: added by its issue."""
