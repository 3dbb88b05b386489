"""Errors a user can cause and fix: they print as one line, never as a traceback."""


class InputError(Exception):
    """Unusable input or arguments (exit code 2). The message names the file and the problem."""


# Exit codes of `povexit run` (SPEC section 6), plus one for faults that are not the user's.
EXIT_PUBLISHED, EXIT_BLOCKED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
