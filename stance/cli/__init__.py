"""Command-line interface: parses arguments and calls library functions, nothing more.

Heavy libraries (torch, transformers) are imported inside the commands that
need them, so `stance --help` and `stance report` start instantly. `base` holds
the app and what the commands share; importing the command modules registers them.
"""

from stance.cli import corpus, evaluate, review  # noqa: F401  (registers the commands)
from stance.cli.base import app

__all__ = ["app"]
