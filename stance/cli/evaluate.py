"""`stance evaluate ...`: extraction, positions, classifier, off-topic."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from stance.cli.base import (BudgetOpt, ConfigOpt, CvScheme, Device, ManifestOpt, Period, PeriodOpt, device_line, err_console,
                             evaluate_app)
from stance.errors import StanceError
from stance.outputs import check_output_file


@evaluate_app.command("extraction")
def evaluate_extraction_command(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Articles the gold labels refer to (default: ./seeds/, else the seeds shipped with stance; not with --polnear).")] = None,
    gold: Annotated[Optional[Path], typer.Option("--gold", help="Gold statements JSONL (article, speaker, text; default: labels.jsonl of the default seeds).")] = None,
    manifest: ManifestOpt = None,
    polnear: Annotated[Optional[Path], typer.Option("--polnear", help="Score on a PolNeAR export directory (articles.jsonl + attributions.jsonl) instead, with its judging definitions.")] = None,
    realnews: Annotated[Optional[Path], typer.Option("--realnews", help="Score on a realnews folder (articles.jsonl + statements.jsonl) instead, with its score.py definitions.")] = None,
    split: Annotated[str, typer.Option("--split", help="With --polnear or --realnews: the split to score, dev or train.")] = "dev",
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the full report (figures, misses, false positives) as JSON here.")] = None,
    with_text: Annotated[bool, typer.Option("--with-text", help="With --polnear or --realnews: keep article excerpts and names in the JSON (offsets only by default, so the file can be shared).")] = False,
    show_errors: Annotated[bool, typer.Option("--errors/--no-errors", help="List misses, false positives and wrong speakers.")] = True,
    time_budget: BudgetOpt = 10.0,
) -> None:
    """Score the extractor: statement precision, recall, F1 and speaker accuracy (or PolNeAR's or realnews' figures)."""
    from stance.ingest import load_corpus
    from stance.evaluate.extraction import (evaluate_extraction, evaluate_polnear, evaluate_realnews, polnear_summary,
                                            to_markdown)

    if json_path is not None:
        check_output_file(json_path, "--json", "the report")
    if polnear is not None and realnews is not None:
        raise StanceError("--polnear and --realnews each name a whole evaluation set; give one of them")
    if realnews is not None:
        if paths or gold or manifest:
            raise StanceError("--realnews reads the folder's own articles and statements; "
                              "give no article paths, --gold or --manifest with it")
        from stance.evaluate.realnews import summary

        report = evaluate_realnews(realnews, split, json_path, with_text, budget_s=time_budget)
        typer.echo(summary(report, limit=20 if show_errors else 0))
        return
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
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Articles the gold labels refer to (files or directories); none with --realnews.")] = None,
    gold: Annotated[Optional[Path], typer.Option("--gold", help="Gold statements JSONL (article, speaker, text, target, stance; date optional, null for an undated utterance).")] = None,
    realnews: Annotated[Optional[Path], typer.Option("--realnews", help="A realnews folder (articles.jsonl, statements.jsonl): its excerpts and gold of --split, instead of PATH and --gold.")] = None,
    split: Annotated[str, typer.Option("--split", help="With --realnews: the split to score (dev or train).")] = "dev",
    manifest: ManifestOpt = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Trained model directory (default: models/default; with --db only for the classifier-only scores).")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="Score the statements and predictions in this store instead of running the pipeline.")] = None,
    period: PeriodOpt = Period.month,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the full report (figures, errors, rule grid) as JSON here.")] = None,
    show_errors: Annotated[bool, typer.Option("--errors/--no-errors", help="List wrong, missed and invented cells and changes.")] = True,
    config: ConfigOpt = None,
) -> None:
    """Score the report's positions (speaker x target x period) and changes against gold statements."""
    from stance.ingest import load_corpus
    from stance.evaluate.position_inputs import position_inputs, realnews_inputs
    from stance.evaluate.positions import evaluate_positions, to_markdown

    if json_path is not None:
        check_output_file(json_path, "--json", "the report")
    if realnews is not None and (paths or gold is not None or manifest is not None):
        raise StanceError("--realnews reads its own excerpts and gold: give no article paths, --gold or --manifest with it")
    if realnews is None and (not paths or gold is None):
        raise StanceError("evaluate positions needs article PATHs and --gold F, or --realnews DIR")
    classify, tool_rows, none_label = None, None, "none"
    if db is not None:
        from stance.store import Store

        with Store(db, create=False) as store:
            tool_rows = store.load_labelled()
            none_label = store.none_label(tool_rows[0].get("model_id") if tool_rows else None)
        if not tool_rows:
            raise StanceError(f"{db}: no labelled statements; run `stance analyze PATH... --db {db}` first")
    if db is None or model is not None:
        from stance.analyze import ensure_model
        from stance.classify import load_classifier
        from stance.project import load_project

        model_path, _ = ensure_model(model, lambda m: err_console.print(escape(m)), load_project(config))
        classifier = load_classifier(model_path)
        classify = classifier.predict
        none_label = classifier.labels.none_label if db is None else none_label
    source = {"db": str(db) if db else None, "model": classifier.model_id if classify else None,
              "db_model": tool_rows[0].get("model_id") if tool_rows else None}
    if realnews is not None:
        inputs = realnews_inputs(realnews, split, classify=classify, tool_rows=tool_rows, none_label=none_label)
    else:
        inputs = position_inputs(load_corpus(paths, manifest=manifest).articles, gold, classify=classify,
                                 tool_rows=tool_rows, none_label=none_label)
    report = evaluate_positions(inputs, period=period.value, json_path=json_path, source=source)
    typer.echo(to_markdown(report, show_errors))


@evaluate_app.command("classifier")
def evaluate_classifier_command(
    model: Annotated[Optional[Path], typer.Option("--model", help="Score this trained model directory on --data (no training).")] = None,
    config: ConfigOpt = None,
    data: Annotated[Optional[list[Path]], typer.Option("--data", help="Labelled JSONL file(s); default: the config's data (with --model: required).")] = None,
    cv: Annotated[CvScheme, typer.Option("--cv", help="Cross-validation scheme: 'event' = leave one event (articles sharing quotes) out.")] = CvScheme.event,
    methods: Annotated[str, typer.Option("--methods", help="Comma-separated methods to compare: majority, tfidf, setfit, finetune, embed (finetune and embed also report +tfidf when the config sets tfidf_weight).")] = "majority,tfidf,setfit,finetune",
    device: Annotated[Optional[Device], typer.Option("--device", help="Where to train and predict: auto, cpu, cuda or mps (default: the config's device).")] = None,
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
        from stance.project import load_project

        try:
            seed_list = [int(x) for x in seeds.split(",") if x.strip()]
        except ValueError:
            raise StanceError(f"--seeds {seeds!r}: expected comma-separated whole numbers, e.g. 13,14,15") from None
        settings = load_project(config).config
        settings.device = device_line(device or settings.device)
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
    from stance.evaluate.offtopic import DEFAULT_GOLD, evaluate_offtopic, to_text, write_report

    report, false_pos = evaluate_offtopic(polnear, split, model, gold or DEFAULT_GOLD)
    write_report(report, json_path)
    typer.echo(to_text(report, false_pos))
