"""Command-line interface: parses arguments and calls library functions, nothing more.

Heavy libraries (torch, transformers) are imported inside the commands that
need them, so `stance --help` and `stance report` start instantly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from stance.errors import StanceError



class _ErrorBoundary(TyperGroup):
    """Turns the library's StanceError into one red line and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except StanceError as exc:
            err_console.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


err_console = Console(stderr=True)
app = typer.Typer(
    cls=_ErrorBoundary,
    help="Track what each actor says about each issue in news, and how it changes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
evaluate_app = typer.Typer(help="Measure the extractor or the classifier against labelled data.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")

PathsArg = Annotated[list[Path], typer.Argument(help="Article files or directories (.txt, .jsonl, .csv), read recursively.")]
ManifestOpt = Annotated[Optional[Path], typer.Option("--manifest", help="JSONL of per-article metadata (article, date, date_precision, source, title, url).")]
SkipBadOpt = Annotated[bool, typer.Option("--skip-bad", help="Skip unreadable or malformed items and list them in the summary instead of stopping.")]
