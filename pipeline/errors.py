"""Errors a user can cause and fix: they print as one line, never as a traceback."""

from pipeline.privacy import mask_ids


class InputError(Exception):
    """Unusable input or arguments (exit code 2). The message names the file and the problem.

    Messages never quote row content; anything id-shaped in one is masked all the same, since
    a path or a header cell can hold one too.
    """

    def __init__(self, message: str):
        super().__init__(mask_ids(message))


# Exit codes of `povexit run` (SPEC section 6), plus one for faults that are not the user's.
EXIT_PUBLISHED, EXIT_BLOCKED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
# Stopped by Ctrl-C (SIGINT): the shell's code for it, 128 + 2.
EXIT_INTERRUPTED = 130
