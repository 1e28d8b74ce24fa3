"""The one exception a user should ever see from the grader."""


class UserError(Exception):
    """An expected problem with what the user asked for: printed as one line, exit 2."""
