"""analytics models: added by its issue."""
