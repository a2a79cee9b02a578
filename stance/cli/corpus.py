"""Commands over a corpus and its store: analyze, extract, report, export, train, predict, init."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from stance.cli.base import (BudgetOpt, ConfigOpt, DbOpt, Device, DeviceOpt, EngineName, ManifestOpt, PathsArg, Period,
                             PeriodOpt, SkipBadOpt, app, device_line, err_console, print_corpus_notes)
from stance.errors import StanceError
from stance.outputs import atomic_write, check_output_dir, check_output_file


@app.command("analyze")
def analyze_command(
    paths: PathsArg,
    manifest: ManifestOpt = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Trained model directory (default: the config's default model, trained first if missing; see README, \"Install\").")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="SQLite statement store; grows run by run (default: stance.db).")] = None,
    out: Annotated[Path, typer.Option("--out", "--output", help="Folder for report.md, positions.json, statements.csv and report.html.")] = Path("reports"),
    period: PeriodOpt = Period.month,
    skip_bad: SkipBadOpt = False,
    config: ConfigOpt = None,
    engine: Annotated[EngineName, typer.Option("--engine", help="local (worker processes on this machine) or ray (Ray Data; pip install \"stance\\[ray]\").")] = EngineName.local,
    workers: Annotated[Optional[int], typer.Option("--workers", help="Extraction worker processes (local engine; default: cores - 1, at most 4) or classifying Ray actors (ray engine; default: one per two of Ray's CPUs).")] = None,
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Ray cluster to use with --engine ray, e.g. ray://head:10001 (default: start a local Ray).")] = None,
    reports: Annotated[bool, typer.Option("--reports/--no-reports", help="Write the reports after storing (for very large stores, run `stance report` with filters instead).")] = True,
    device: DeviceOpt = Device.auto,
    time_budget: BudgetOpt = 10.0,
) -> None:
    """Ingest, extract, classify, store and report: each actor's position on each target over time."""
    from stance.analyze import analyze, model_line, summary_lines
    from stance.project import load_project
    from stance.store import DEFAULT_DB

    check_output_file(db or DEFAULT_DB, "--db", "the statement store")
    check_output_dir(out, "--out", "the reports")
    project = load_project(config)
    err_console.print(escape(model_line(model, project)))  # the first line: which model labels this run
    summary = analyze(paths, manifest=manifest, model_dir=model, db_path=db or DEFAULT_DB, out_dir=out,
                      skip_bad=skip_bad, period=period.value, log=lambda m: err_console.print(escape(m)),
                      project=project, engine=engine.value, workers=workers, ray_address=ray_address,
                      reports=reports, device=device_line(device, engine), budget_s=time_budget)
    for line in summary_lines(summary):
        typer.echo(line)


@app.command("extract")
def extract_command(
    paths: PathsArg,
    manifest: ManifestOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", "--output", help="Write statements as JSONL here (default: standard output).")] = None,
    skip_bad: SkipBadOpt = False,
    config: ConfigOpt = None,
    time_budget: BudgetOpt = 10.0,
) -> None:
    """Find attributed statements and their speakers; one JSON object per statement."""
    from stance.ingest import CorpusReader
    from stance.engine import extract_articles
    from stance.project import load_project
    from stance.extract.speakers import load_registry

    if out is not None:
        check_output_file(out, "--out", "the statements")
    registry = load_registry(load_project(config).actors_path)
    corpus = CorpusReader(paths, manifest=manifest, skip_bad=skip_bad)  # streamed: one article at a time
    count = extract_articles(corpus, out, progress=out is not None, registry=registry, budget_s=time_budget,
                             skipped=corpus.skipped)
    print_corpus_notes(corpus)
    err_console.print(f"{corpus.read} articles read, {len(corpus.skipped)} skipped, {count} statements found"
                      + (f" -> {out}" if out else ""), highlight=False)


@app.command("report")
def report_command(
    db: DbOpt = None,
    out: Annotated[Path, typer.Option("--out", "--output", help="Folder for report.md, positions.json, statements.csv and report.html.")] = Path("reports"),
    actor: Annotated[Optional[str], typer.Option("--actor", help="Only this speaker (case-insensitive; part of a name matches when no name matches whole).")] = None,
    target: Annotated[Optional[str], typer.Option("--target", help="Only this target, e.g. 'Article 5' (case-insensitive).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only statements dated on or after this date (YYYY, YYYY-MM or YYYY-MM-DD); drops undated ones.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Only statements dated on or before this date (YYYY, YYYY-MM or YYYY-MM-DD); drops undated ones.")] = None,
    period: PeriodOpt = Period.month,
) -> None:
    """Rebuild the position reports from the statement store, without running any model."""
    from stance.report import write_store_reports
    from stance.store import DEFAULT_DB

    check_output_dir(out, "--out", "the reports")
    report = write_store_reports(db or DEFAULT_DB, out, actor=actor, target=target, since=since, until=until,
                                 period=period.value)
    typer.echo(report.summary_line() + ".")
    for note in report.notes:
        typer.echo(f"Note: {note}.")
    for change in report.changes:
        typer.echo(f"Change: {change}")
    for change in report.tentative_changes:
        typer.echo(f"Tentative change: {change}")
    typer.echo(f"Wrote {', '.join(p.name for p in report.paths)} to {out}/")


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="dna (DNA statement table, CSV), graphml (Gephi, visone, networkx) or csv (edge list).")],
    out: Annotated[Path, typer.Option("--out", "--output", help="File to write.")],
    db: DbOpt = None,
    congruence: Annotated[bool, typer.Option("--congruence", help="With graphml: the actor x actor network (edges weighted by shared target-stance pairs) instead of actor x target.")] = False,
    actor: Annotated[Optional[str], typer.Option("--actor", help="Only this speaker (as in `stance report`).")] = None,
    target: Annotated[Optional[str], typer.Option("--target", help="Only this target (as in `stance report`).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only statements dated on or after this date.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Only statements dated on or before this date.")] = None,
) -> None:
    """Export actor x target networks and statements for DNA, Gephi, visone or networkx."""
    from stance.export import export_network
    from stance.store import DEFAULT_DB

    check_output_file(out, "--out", "the export")
    written = export_network(db or DEFAULT_DB, fmt, out, congruence_network=congruence, actor=actor, target=target,
                             since=since, until=until)
    typer.echo(f"wrote {written['count']} {written['unit']} from {written['utterances']} utterances to {written['path']}")


@app.command("train")
def train_command(
    config: ConfigOpt = None,
    data: Annotated[Optional[list[Path]], typer.Option("--data", help="Labelled JSONL file(s) (text, target, stance; speaker, context optional). Repeat for several; default: the config's data.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "--out", help="Directory to write the trained model to (default: the config's default model, the one `analyze` and `predict` use).")] = None,
    add_data: Annotated[Optional[list[Path]], typer.Option("--add-data", help="Reviewed JSONL file(s) (e.g. a filled-in `stance review queue`) added to the data, each row counting human_weight times. Repeat for several.")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="Add the reviewed labels of this statement store, each counting human_weight times.")] = None,
    device: Annotated[Optional[Device], typer.Option("--device", help="Where to train: auto (CUDA, then Apple MPS, then CPU), cpu, cuda or mps (default: the config's device).")] = None,
) -> None:
    """Train the target and stance classifier and save a self-describing model directory."""
    from stance.project import load_project
    from stance.train import train

    project = load_project(config)
    output = output or project.model_dir
    check_output_dir(output, "--output", "the model")
    settings = project.config  # set in place: the config remembers its file (relative paths resolve against it)
    settings.device = device_line(device or settings.device)
    meta = train(settings, output, data=data, progress=True, add_data=add_data, add_db=db)
    metrics = (output / "metrics.json").read_text(encoding="utf-8")
    human = f", {meta['human_labels']} human label(s) × {meta['human_weight']}" if meta.get("human_labels") else ""
    typer.echo(f"saved {meta['model_id']} to {output} ({meta['data_fingerprint']['rows']} statements{human}, "
               f"int8 {'on' if meta.get('int8_equal') else 'off'})")
    typer.echo(metrics.strip())


@app.command("predict")
def predict_command(
    input_path: Annotated[Path, typer.Option("--input", help="JSONL of statements; each row needs 'text' ('speaker', 'context' optional).")],
    model: Annotated[Optional[Path], typer.Option("--model", help="Trained model directory (default: the config's default model; see README, \"Install\").")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "--out", help="Write the labelled JSONL here (default: standard output).")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Statements per inference batch.")] = 64,
    config: ConfigOpt = None,
    device: DeviceOpt = Device.auto,
) -> None:
    """Add target, stance, their probabilities and a confidence to each statement."""
    import sys

    from stance.classify import predict_file

    if output is not None:  # output paths are checked before any work, the model lookup included
        check_output_file(output, "--output", "the labelled statements")
    if model is None:
        from stance.project import load_project

        project = load_project(config)
        model = project.default_model()
        if model is None:
            raise StanceError(f"{project.model_dir}: no trained model there; expected one written by `stance train` "
                              "(or by the first `stance analyze`), or pass --model DIR")

    device = device_line(device)
    if output is None:
        predict_file(input_path, model, sys.stdout, batch_size, device)
        return
    with atomic_write(output) as handle:  # an error or Ctrl-C leaves no half-written file behind
        count = predict_file(input_path, model, handle, batch_size, device)
    err_console.print(f"labelled {count} statements -> {output}")


@app.command("init")
def init_command(
    folder: Annotated[Path, typer.Argument(help="Project folder to write stance.yaml, labels.yaml and actors.yaml into.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite those files when they exist.")] = False,
) -> None:
    """Start a project: editable copies of the training config, label set and actor registry."""
    from stance.project import init_project

    written = init_project(folder, force=force)
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"Edit them, then run stance commands in {folder} (they read ./stance.yaml) or pass --config "
               f"{folder / 'stance.yaml'}; models trained for this project go to {folder / 'models' / 'default'}.")
