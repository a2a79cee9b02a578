"""What every command shares: the app, its error boundary, the console and the common options.

Heavy libraries (torch, transformers) are imported inside the commands that
need them, so `stance --help` and `stance report` start instantly.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from stance.classify.device import CHOICES as _DEVICES  # a tuple: importing it loads no torch
from stance.engine import EngineName  # noqa: F401  (re-exported for the commands)
from stance.errors import StanceError
from stance.track.merge import PERIODS as _PERIODS


# What a command that was stopped keeps, for the message after Ctrl-C.
_KEPT_ON_INTERRUPT = {
    "analyze": "the store keeps every article and prediction committed so far; run the same command again to resume",
    "train": "no model was saved",
    "extract": "no output file was written",
    "predict": "no output file was written",
}


def _os_error_line(exc: OSError) -> str:
    """'PATH: reason' for an OSError (both paths of a failed rename or copy)."""
    reason = exc.strerror or str(exc)
    reason = reason[:1].lower() + reason[1:]
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


class _ErrorBoundary(TyperGroup):
    """The command boundary: no traceback for anything a user can cause.

    StanceError and OSError (a path that cannot be read or written) become one
    red line and exit code 1; Ctrl-C stops with one line saying what was kept
    and exit code 130 (the shell's code for SIGINT).
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except StanceError as exc:
            _error_line(str(exc))
            raise typer.Exit(1) from None
        except BrokenPipeError:  # `stance extract ... | head`: the reader left; nothing to report
            import os
            import sys

            try:  # so that flushing stdout at exit does not raise again
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            raise typer.Exit(1) from None
        except OSError as exc:
            _error_line(_os_error_line(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            kept = _KEPT_ON_INTERRUPT.get(ctx.invoked_subcommand or "", "")
            err_console.print(f"[yellow]Interrupted[/yellow]{': ' + kept if kept else ''}.", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(130) from None


def _error_line(text: str) -> None:
    err_console.print(f"[red]Error:[/red] {escape(text)}", highlight=False, soft_wrap=True)


err_console = Console(stderr=True)
app = typer.Typer(
    cls=_ErrorBoundary,
    help="Track what each actor says about each issue in news, and how it changes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
evaluate_app = typer.Typer(help="Measure the extractor or the classifier against labelled data.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")
review_app = typer.Typer(help="The analyst loop: review what the tool is least sure of; human labels win.", no_args_is_help=True)
app.add_typer(review_app, name="review")

PathsArg = Annotated[list[Path], typer.Argument(help="Article files or directories (.txt, .jsonl, .csv, .jsonl.gz, .csv.gz, .parquet), read recursively.")]
ManifestOpt = Annotated[Optional[Path], typer.Option("--manifest", help="JSONL of per-article metadata (article, date, date_precision, source, title, url).")]
SkipBadOpt = Annotated[bool, typer.Option("--skip-bad", help="Skip unreadable or malformed items and list them in the summary instead of stopping.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Project config: labels, actors, training settings (default: ./stance.yaml when present, else the config shipped with stance; see `stance init`).")]
BudgetOpt = Annotated[float, typer.Option("--time-budget", min=0, help="Seconds allowed to extract one article; a slower one is skipped and listed in the summary (0: no limit).")]


def print_corpus_notes(corpus) -> None:
    for line in corpus.skipped:
        err_console.print(f"[yellow]skipped[/yellow] {escape(line)}", highlight=False, soft_wrap=True)
    for line in corpus.ignored:
        err_console.print(f"[dim]ignored {escape(line)}[/dim]", highlight=False, soft_wrap=True)


def _choices(name: str, values) -> type[enum.Enum]:
    """A str enum of a library's choices, so typer checks an option before any work and lists them in --help."""
    return enum.Enum(name, {value: value for value in values}, type=str)


Period = _choices("Period", _PERIODS)
Device = _choices("Device", _DEVICES)
CvScheme = _choices("CvScheme", ("event",))  # leave one event (articles sharing quotes) out

DeviceOpt = Annotated[Device, typer.Option("--device", help="Where the encoder runs: auto (CUDA, then Apple MPS, then CPU), cpu, cuda or mps.")]
PeriodOpt = Annotated[Period, typer.Option("--period", help="Group positions by day, month or year.")]


def device_line(device, engine="local") -> str:
    """Resolve --device and say which device runs, as the run's first line (on stderr)."""
    device, engine = getattr(device, "value", device), getattr(engine, "value", engine)
    if engine == "ray":  # the model runs on the Ray workers' CPUs: resolving a device here would import torch for nothing
        note = "" if device in ("auto", "cpu") else f" (--device {device} is for the local engine)"
        err_console.print(escape(f"device: cpu, on the Ray workers{note}"))
        return "cpu"
    from stance.classify.device import choose_device

    chosen = choose_device(device)
    err_console.print(escape(chosen.describe()))
    return chosen.name


DbOpt = Annotated[Optional[Path], typer.Option("--db", help="Statement store written by `stance analyze` (default: stance.db).")]
