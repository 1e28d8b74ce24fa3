"""Grading a submission: run every check against it and build the one report."""
