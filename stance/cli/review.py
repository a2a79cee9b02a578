"""The analyst loop: `stance review queue|import|serve` and `stance agreement`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from stance.cli.base import ConfigOpt, DbOpt, app, err_console, review_app
from stance.outputs import check_output_file, write_json


@review_app.command("queue")
def review_queue_command(
    db: DbOpt = None,
    n: Annotated[int, typer.Option("--n", help="How many statements to queue.")] = 50,
    out: Annotated[Path, typer.Option("--out", "--output", help="JSONL file to write; fill in target and stance, then `stance review import` it.")] = Path("queue.jsonl"),
) -> None:
    """Write the statements most worth a human look: lone witnesses of a change, then the least confident."""
    from stance.review.queue import build_queue, write_queue
    from stance.store import DEFAULT_DB

    check_output_file(out, "--out", "the review queue")
    rows = build_queue(db or DEFAULT_DB, n)
    write_queue(rows, out)
    typer.echo(f"queued {len(rows)} statement(s) from {len({r['speaker'] for r in rows})} speaker(s) -> {out}")


@review_app.command("import")
def review_import_command(
    file: Annotated[Path, typer.Argument(help="Reviewed JSONL: id, target, stance (speaker, \"statement\": false optional).")],
    db: DbOpt = None,
    annotator: Annotated[Optional[str], typer.Option("--annotator", help="Who reviewed (default: the login name).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Store reviewed labels; they win over the model's in every report."""
    from stance.project import load_project
    from stance.review.importer import import_reviews
    from stance.store import DEFAULT_DB

    done = import_reviews(file, db or DEFAULT_DB, load_project(config).labels(), annotator)
    typer.echo(f"imported {done['imported']} review(s) by {done['annotator']} "
               f"({done['not_statements']} marked not a statement); run `stance report` to see them")


@review_app.command("serve")
def review_serve_command(
    db: DbOpt = None,
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0 picks a free one).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to bind (default loopback). Anyone who can reach another address can open the page and write labels.")] = "127.0.0.1",
    n: Annotated[int, typer.Option("--n", help="How many statements to queue.")] = 50,
    annotator: Annotated[Optional[str], typer.Option("--annotator", help="Who reviews (default: the login name).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Review the queue in a local web page: keyboard shortcuts, undo, saved as you go."""
    from stance.project import load_project
    from stance.review.guard import is_loopback
    from stance.review.server import serve
    from stance.store import DEFAULT_DB

    if not is_loopback(host):
        err_console.print(f"[yellow]warning[/yellow]: serving on {escape(host)}, not loopback: anyone who can reach "
                          f"{escape(host)}:{port} can open the review page and write labels that win in every report "
                          "(the page's token keeps out other web pages, not other people); keep the default "
                          "127.0.0.1 unless that is what you want")
    try:
        serve(db or DEFAULT_DB, load_project(config).labels(), host=host, port=port, n=n, annotator=annotator, log=typer.echo)
    except KeyboardInterrupt:
        typer.echo("stopped; every saved review is in the store")

# --- classifier: train / evaluate classifier / predict (issue 4) -------------------------------


@app.command("agreement")
def agreement_command(
    first: Annotated[Path, typer.Argument(help="The first annotation (JSONL with speaker, target and/or stance).")],
    second: Annotated[Path, typer.Argument(help="The second annotation of the same statements (same ids, or same rows in the same order).")],
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the full report (per field, confusion pairs, disagreeing rows) as JSON here.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Agreement of two annotators: percent agreement, Cohen's kappa and Krippendorff's alpha per field."""
    from stance.project import load_project
    from stance.review.agreement import agreement, summary_lines

    if json_path is not None:
        check_output_file(json_path, "--json", "the report")
    report = agreement(first, second, load_project(config).labels())
    for line in summary_lines(report):
        typer.echo(line)
    if json_path is not None:
        write_json(json_path, report)
