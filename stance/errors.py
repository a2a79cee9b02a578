"""The one error type the library raises for bad input or bad state."""


class StanceError(Exception):
    """A user-facing error: its message says what was found and what was expected.

    The CLI prints it as one red line and exits with code 1; library users can
    catch it to tell bad input apart from bugs.
    """
