"""Data sets the course makes itself, so that checks and students draw the same kind of data."""
