"""The one error type for user mistakes: its message is the sentence the user sees."""


class UserError(Exception):
    """A problem with the user's input, config or paths; the CLI prints it and exits 2."""
