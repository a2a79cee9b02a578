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
from stance.outputs import check_output_dir, check_output_file



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


def _print_corpus_notes(corpus) -> None:
    for line in corpus.skipped:
        err_console.print(f"[yellow]skipped[/yellow] {escape(line)}", highlight=False, soft_wrap=True)
    for line in corpus.ignored:
        err_console.print(f"[dim]ignored {escape(line)}[/dim]", highlight=False, soft_wrap=True)


@app.command("analyze")
def analyze_command(
    paths: PathsArg,
    manifest: ManifestOpt = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Trained model directory (default: the config's default model, trained first if missing; see README, \"Install\").")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="SQLite statement store; grows run by run (default: stance.db).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, positions.json, statements.csv and report.html.")] = Path("reports"),
    period: Annotated[str, typer.Option("--period", help="Group positions by day, month or year.")] = "month",
    skip_bad: SkipBadOpt = False,
    config: ConfigOpt = None,
    engine: Annotated[str, typer.Option("--engine", help="local (worker processes on this machine) or ray (Ray Data; pip install \"stance\\[ray]\").")] = "local",
    workers: Annotated[Optional[int], typer.Option("--workers", help="Extraction worker processes (local engine; default: cores - 1, at most 4) or Ray actors (ray engine; default: Ray's CPUs).")] = None,
    ray_address: Annotated[Optional[str], typer.Option("--ray-address", help="Ray cluster to use with --engine ray, e.g. ray://head:10001 (default: start a local Ray).")] = None,
    reports: Annotated[bool, typer.Option("--reports/--no-reports", help="Write the reports after storing (for very large stores, run `stance report` with filters instead).")] = True,
    device: DeviceOpt = "auto",
) -> None:
    """Ingest, extract, classify, store and report: each actor's position on each target over time."""
    from stance.analyze import analyze, summary_lines
    from stance.project import load_project
    from stance.store import DEFAULT_DB

    check_output_file(db or DEFAULT_DB, "--db", "the statement store")
    check_output_dir(out, "--out", "the reports")
    summary = analyze(paths, manifest=manifest, model_dir=model, db_path=db or DEFAULT_DB, out_dir=out,
                      skip_bad=skip_bad, period=period, log=lambda m: err_console.print(escape(m)),
                      project=load_project(config), engine=engine, workers=workers, ray_address=ray_address,
                      reports=reports, device=_device_line(device))
    for line in summary_lines(summary):
        typer.echo(line)


DeviceOpt = Annotated[str, typer.Option("--device", help="Where the encoder runs: auto (CUDA, then Apple MPS, then CPU), cpu, cuda or mps.")]


def _device_line(device: str) -> str:
    """Resolve --device and say which device runs, as the run's first line (on stderr)."""
    from stance.classify.device import choose_device

    chosen = choose_device(device)
    err_console.print(escape(chosen.describe()))
    return chosen.name


@app.command("extract")
def extract_command(
    paths: PathsArg,
    manifest: ManifestOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write statements as JSONL here (default: standard output).")] = None,
    skip_bad: SkipBadOpt = False,
    config: ConfigOpt = None,
    time_budget: BudgetOpt = 10.0,
) -> None:
    """Find attributed statements and their speakers; one JSON object per statement."""
    from stance.ingest import CorpusReader
    from stance.extract import extract_articles
    from stance.project import load_project
    from stance.extract.speakers import load_registry

    if out is not None:
        check_output_file(out, "--out", "the statements")
    registry = load_registry(load_project(config).actors_path)
    corpus = CorpusReader(paths, manifest=manifest, skip_bad=skip_bad)  # streamed: one article at a time
    count = extract_articles(corpus, out, progress=out is not None, registry=registry, budget_s=time_budget,
                             skipped=corpus.skipped)
    _print_corpus_notes(corpus)
    err_console.print(f"{corpus.read} articles read, {len(corpus.skipped)} skipped, {count} statements found"
                      + (f" -> {out}" if out else ""), highlight=False)


@evaluate_app.command("extraction")
def evaluate_extraction_command(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Articles the gold labels refer to (default: ./seeds/, else the seeds shipped with stance; not with --polnear).")] = None,
    gold: Annotated[Optional[Path], typer.Option("--gold", help="Gold statements JSONL (article, speaker, text; default: labels.jsonl of the default seeds).")] = None,
    manifest: ManifestOpt = None,
    polnear: Annotated[Optional[Path], typer.Option("--polnear", help="Score on a PolNeAR export directory (articles.jsonl + attributions.jsonl) instead, with its judging definitions.")] = None,
    split: Annotated[str, typer.Option("--split", help="With --polnear: the split to score, dev or train.")] = "dev",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the full report (figures, misses, false positives) as JSON here.")] = None,
    with_text: Annotated[bool, typer.Option("--with-text", help="With --polnear: keep article excerpts in the JSON (offsets only by default, so the file can be shared).")] = False,
    show_errors: Annotated[bool, typer.Option("--errors/--no-errors", help="List misses, false positives and wrong speakers.")] = True,
    time_budget: BudgetOpt = 10.0,
) -> None:
    """Score the extractor: statement precision, recall, F1 and speaker accuracy (or PolNeAR's figures)."""
    from stance.ingest import load_corpus
    from stance.evaluate.extraction import evaluate_extraction, evaluate_polnear, polnear_summary, to_markdown

    if json_path is not None:
        check_output_file(json_path, "--json", "the report")
    if polnear is not None:
        if paths or gold or manifest:
            raise StanceError("--polnear reads the export's own articles and attributions; "
                              "give no article paths, --gold or --manifest with it")
        report = evaluate_polnear(polnear, split, json_path, with_text, budget_s=time_budget)
        typer.echo(polnear_summary(report, limit=20 if show_errors else 0))
        return
    if not paths or gold is None:  # the checkout's (or current folder's) seeds, else the shipped copy
        from stance.home import resource

        seeds = Path("seeds") if Path("seeds", "labels.jsonl").is_file() else resource("seeds")
        paths, gold = paths or [seeds], gold or seeds / "labels.jsonl"
    corpus = load_corpus(paths, manifest=manifest)
    report = evaluate_extraction(corpus.articles, gold, json_path)
    typer.echo(to_markdown(report, show_errors))


@evaluate_app.command("positions")
def evaluate_positions_command(
    paths: Annotated[list[Path], typer.Argument(help="Articles the gold labels refer to (files or directories).")],
    gold: Annotated[Path, typer.Option("--gold", help="Gold statements JSONL (article, speaker, text, target, stance; date optional).")],
    manifest: ManifestOpt = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Trained model directory (default: models/default; with --db only for the classifier-only scores).")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="Score the statements and predictions in this store instead of running the pipeline.")] = None,
    period: Annotated[str, typer.Option("--period", help="Group positions by day, month or year.")] = "month",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the full report (figures, errors, rule grid) as JSON here.")] = None,
    show_errors: Annotated[bool, typer.Option("--errors/--no-errors", help="List wrong, missed and invented cells and changes.")] = True,
    config: ConfigOpt = None,
) -> None:
    """Score the report's positions (speaker x target x period) and changes against gold statements."""
    from stance.track import check_period
    from stance.ingest import load_corpus
    from stance.evaluate.positions import evaluate_positions, to_markdown

    check_period(period)
    if json_path is not None:
        check_output_file(json_path, "--json", "the report")
    corpus = load_corpus(paths, manifest=manifest)
    classify, tool_rows = None, None
    if db is not None:
        from stance.store import Store

        with Store(db, create=False) as store:
            tool_rows = store.load_labelled()
        if not tool_rows:
            raise StanceError(f"{db}: no labelled statements; run `stance analyze PATH... --db {db}` first")
    if db is None or model is not None:
        from stance.analyze import ensure_model
        from stance.classify import load_classifier
        from stance.project import load_project

        model_path, _ = ensure_model(model, lambda m: err_console.print(escape(m)), load_project(config))
        classifier = load_classifier(model_path)
        classify = classifier.predict
    source = {"db": str(db) if db else None, "model": classifier.model_id if classify else None,
              "db_model": tool_rows[0].get("model_id") if tool_rows else None}
    report = evaluate_positions(corpus.articles, gold, classify=classify, tool_rows=tool_rows, period=period,
                                json_path=json_path, source=source)
    typer.echo(to_markdown(report, show_errors))


@app.command("report")
def report_command(
    db: Annotated[Optional[Path], typer.Option("--db", help="Statement store written by `stance analyze` (default: stance.db in the current directory).")] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md, positions.json, statements.csv and report.html.")] = Path("reports"),
    actor: Annotated[Optional[str], typer.Option("--actor", help="Only this speaker (case-insensitive; part of a name matches when no name matches whole).")] = None,
    target: Annotated[Optional[str], typer.Option("--target", help="Only this target, e.g. 'Article 5' (case-insensitive).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only statements dated on or after this date (YYYY, YYYY-MM or YYYY-MM-DD); drops undated ones.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Only statements dated on or before this date (YYYY, YYYY-MM or YYYY-MM-DD); drops undated ones.")] = None,
    period: Annotated[str, typer.Option("--period", help="Group positions by day, month or year.")] = "month",
) -> None:
    """Rebuild the position reports from the statement store, without running any model."""
    from stance.report import load_aggregate, summary_line, write_reports
    from stance.store import DEFAULT_DB

    check_output_dir(out, "--out", "the reports")
    result = load_aggregate(db or DEFAULT_DB, actor=actor, target=target, since=since, until=until, period=period)
    paths = write_reports(result, out)
    typer.echo(summary_line(result) + ".")
    for note in result["notes"]:
        typer.echo(f"Note: {note}.")
    for change in result["changes"]:
        typer.echo(f"Change: {change['text']}")
    for change in result.get("tentative_changes", []):
        typer.echo(f"Tentative change: {change['text']}")
    typer.echo(f"Wrote {', '.join(p.name for p in paths)} to {out}/")



@app.command("agreement")
def agreement_command(
    first: Annotated[Path, typer.Argument(help="The first annotation (JSONL with speaker, target and/or stance).")],
    second: Annotated[Path, typer.Argument(help="The second annotation of the same statements (same ids, or same rows in the same order).")],
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the full report (per field, confusion pairs, disagreeing rows) as JSON here.")] = None,
    config: ConfigOpt = None,
) -> None:
    """Agreement of two annotators: percent agreement, Cohen's kappa and Krippendorff's alpha per field."""
    import json

    from stance.project import load_project
    from stance.review.agreement import agreement, summary_lines

    if json_path is not None:
        check_output_file(json_path, "--json", "the report")
    report = agreement(first, second, load_project(config).labels())
    for line in summary_lines(report):
        typer.echo(line)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@app.command("export")
def export_command(
    fmt: Annotated[str, typer.Option("--format", help="dna (DNA statement table, CSV), graphml (Gephi, visone, networkx) or csv (edge list).")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    db: Annotated[Optional[Path], typer.Option("--db", help="Statement store written by `stance analyze` (default: stance.db).")] = None,
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


DbOpt = Annotated[Optional[Path], typer.Option("--db", help="Statement store written by `stance analyze` (default: stance.db).")]


@review_app.command("queue")
def review_queue_command(
    db: DbOpt = None,
    n: Annotated[int, typer.Option("--n", help="How many statements to queue.")] = 50,
    out: Annotated[Path, typer.Option("--out", help="JSONL file to write; fill in target and stance, then `stance review import` it.")] = Path("queue.jsonl"),
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
    host: Annotated[str, typer.Option("--host", help="Address to bind; the page writes to the store without a login, so keep it local.")] = "127.0.0.1",
    n: Annotated[int, typer.Option("--n", help="How many statements to queue.")] = 50,
    annotator: Annotated[Optional[str], typer.Option("--annotator", help="Who reviews (default: the login name).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Review the queue in a local web page: keyboard shortcuts, undo, saved as you go."""
    from stance.project import load_project
    from stance.review.server import serve
    from stance.store import DEFAULT_DB

    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[yellow]warning[/yellow]: serving on {escape(host)}: anyone who can reach it can write labels")
    try:
        serve(db or DEFAULT_DB, load_project(config).labels(), host=host, port=port, n=n, annotator=annotator, log=typer.echo)
    except KeyboardInterrupt:
        typer.echo("stopped; every saved review is in the store")

# --- classifier: train / evaluate classifier / predict (issue 4) -------------------------------

@app.command("train")
def train_command(
    config: ConfigOpt = None,
    data: Annotated[Optional[list[Path]], typer.Option("--data", help="Labelled JSONL file(s) (text, target, stance; speaker, context optional). Repeat for several; default: the config's data.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", help="Directory to write the trained model to (default: the config's default model, the one `analyze` and `predict` use).")] = None,
    add_data: Annotated[Optional[list[Path]], typer.Option("--add-data", help="Reviewed JSONL file(s) (e.g. a filled-in `stance review queue`) added to the data, each row counting human_weight times. Repeat for several.")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="Add the reviewed labels of this statement store, each counting human_weight times.")] = None,
    device: Annotated[Optional[str], typer.Option("--device", help="Where to train: auto (CUDA, then Apple MPS, then CPU), cpu, cuda or mps (default: the config's device).")] = None,
) -> None:
    """Train the target and stance classifier and save a self-describing model directory."""
    from stance.project import load_project
    from stance.train import train

    project = load_project(config)
    output = output or project.model_dir
    check_output_dir(output, "--output", "the model")
    settings = project.config  # set in place: the config remembers its file (relative paths resolve against it)
    settings.device = _device_line(device or settings.device)
    meta = train(settings, output, data=data, progress=True, add_data=add_data, add_db=db)
    metrics = (output / "metrics.json").read_text(encoding="utf-8")
    human = f", {meta['human_labels']} human label(s) × {meta['human_weight']}" if meta.get("human_labels") else ""
    typer.echo(f"saved {meta['model_id']} to {output} ({meta['data_fingerprint']['rows']} statements{human}, "
               f"int8 {'on' if meta.get('int8_equal') else 'off'})")
    typer.echo(metrics.strip())


@evaluate_app.command("classifier")
def evaluate_classifier_command(
    model: Annotated[Optional[Path], typer.Option("--model", help="Score this trained model directory on --data (no training).")] = None,
    config: ConfigOpt = None,
    data: Annotated[Optional[list[Path]], typer.Option("--data", help="Labelled JSONL file(s); default: the config's data (with --model: required).")] = None,
    cv: Annotated[str, typer.Option("--cv", help="Cross-validation scheme: 'event' = leave one event (articles sharing quotes) out.")] = "event",
    methods: Annotated[str, typer.Option("--methods", help="Comma-separated methods to compare: majority, tfidf, setfit, finetune, embed (finetune and embed also report +tfidf when the config sets tfidf_weight).")] = "majority,tfidf,setfit,finetune",
    device: Annotated[Optional[str], typer.Option("--device", help="Where to train and predict: auto, cpu, cuda or mps (default: the config's device).")] = None,
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated training seeds; each trained method runs once per seed and the report gives medians and ranges (default: the config's seed).")] = "",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the full report as JSON to this file.")] = None,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Write the report as Markdown to this file (default: print it).")] = None,
) -> None:
    """Cross-validate the classifier and its baselines, or score a trained model."""
    from stance.evaluate.classifier import cross_validate, evaluate_model, to_markdown, write_reports

    for path, option in ((json_path, "--json"), (markdown, "--markdown")):
        if path is not None:
            check_output_file(path, option, "the report")
    if model is not None:
        if not data or len(data) != 1:
            raise StanceError("--model needs exactly one --data FILE of labelled statements to score it on")
        report = evaluate_model(model, data[0])
    else:
        if cv != "event":
            raise StanceError(f"--cv {cv!r} is not supported; expected 'event'")
        from stance.project import load_project

        try:
            seed_list = [int(x) for x in seeds.split(",") if x.strip()]
        except ValueError:
            raise StanceError(f"--seeds {seeds!r}: expected comma-separated whole numbers, e.g. 13,14,15") from None
        settings = load_project(config).config
        settings.device = _device_line(device or settings.device)
        report = cross_validate(settings, data, [m.strip() for m in methods.split(",") if m.strip()],
                                log=lambda message: err_console.print(f"[dim]{escape(message)}[/dim]"), seeds=seed_list)
    write_reports(report, json_path, markdown)
    if markdown is None:
        typer.echo(to_markdown(report))


@evaluate_app.command("offtopic")
def evaluate_offtopic_command(
    polnear: Annotated[Path, typer.Option("--polnear", help="PolNeAR export folder (articles.jsonl with a 'split' field).")],
    split: Annotated[str, typer.Option("--split", help="Which split to measure: dev (report) or train (tune).")] = "dev",
    model: Annotated[Optional[Path], typer.Option("--model", help="Trained model directory (default: models/default).")] = None,
    gold: Annotated[Optional[Path], typer.Option("--gold", help="Hand labels of the on-topic statements (article, start, end, target, stance); default: docs/measurements/polnear_on_topic.jsonl.")] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the report (figures, ids, offsets, scores; no article text) as JSON here.")] = None,
) -> None:
    """Share of statements in news about other subjects that are given a target, with the worst false positives."""
    from stance.evaluate.offtopic import DEFAULT_GOLD, evaluate_offtopic, to_text, write_json

    report, false_pos = evaluate_offtopic(polnear, split, model, gold or DEFAULT_GOLD)
    write_json(report, json_path)
    typer.echo(to_text(report, false_pos))


@app.command("predict")
def predict_command(
    input_path: Annotated[Path, typer.Option("--input", help="JSONL of statements; each row needs 'text' ('speaker', 'context' optional).")],
    model: Annotated[Optional[Path], typer.Option("--model", help="Trained model directory (default: the config's default model; see README, \"Install\").")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", help="Write the labelled JSONL here (default: standard output).")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Statements per inference batch.")] = 64,
    config: ConfigOpt = None,
    device: DeviceOpt = "auto",
) -> None:
    """Add target, stance, their probabilities and a confidence to each statement."""
    import sys

    from stance.classify import predict_file

    if model is None:
        from stance.project import load_project

        model = load_project(config).model_dir
        if not (model / "model.safetensors").is_file():
            raise StanceError(f"{model}: no trained model there; expected one written by `stance train` "
                              "(or by the first `stance analyze`), or pass --model DIR")

    device = _device_line(device)
    if output is None:
        predict_file(input_path, model, sys.stdout, batch_size, device)
        return
    check_output_file(output, "--output", "the labelled statements")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            count = predict_file(input_path, model, handle, batch_size, device)
        tmp.replace(output)
    except BaseException:  # an error or Ctrl-C leaves no half-written file behind
        tmp.unlink(missing_ok=True)
        raise
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
