"""The main job: ingest, extract, classify, store, aggregate and report.

The corpus is streamed (stance.ingest.corpus.CorpusReader) through an engine
(stance.engine: `local` worker processes or `ray`), which commits each chunk of
articles with their statements and predictions in one transaction. So memory
does not grow with the corpus, an interrupted run keeps everything it
committed, and the next run picks up where it stopped: unchanged articles are
skipped, statements already labelled by the current model are not labelled again.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Optional

from stance.config import DEFAULT_CONFIG
from stance.ingest import CorpusReader
from stance.engine import PREDICT_BATCH, Engine, chunks, make_engine
from stance.engine.timebudget import DEFAULT_BUDGET_S
from stance.records import Article, Statement
from stance.report import DEFAULT_OUT, write_store_reports
from stance.store import DEFAULT_DB, Store

if TYPE_CHECKING:
    from stance.project import Project


@dataclass
class RunStats:
    """What the engine's work came to: articles by store status, statements found and labelled, articles left out."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    statements_found: int = 0
    statements_labelled: int = 0
    skipped: list[str] = field(default_factory=list)  # articles left out, each with its reason


@dataclass
class AnalyzeSummary:
    """What one `analyze` run did."""

    articles_read: int = 0
    skipped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    statements_found: int = 0
    statements_labelled: int = 0
    statements_total: int = 0
    trained_model: Optional[Path] = None
    model_id: str = ""
    by_target: Counter = field(default_factory=Counter)
    by_stance: Counter = field(default_factory=Counter)
    unknown_speakers: int = 0
    off_target: int = 0  # statements about none of the targets (not aggregated into positions)
    off_target_by_gate: int = 0  # of those, the ones the relevance gate set to none
    reports: list[Path] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    tentative_changes: list[str] = field(default_factory=list)


def ensure_model(model_dir: Optional[Path], log: Callable[[str], None],
                 project: Optional["Project"] = None) -> tuple[Path, Optional[Path]]:
    """The model to use: `model_dir`, else the project's default model, trained first when missing.

    `project` (stance.project.load_project) defaults to the config shipped with stance.
    Returns (model directory, the directory just trained or None).
    """
    if model_dir is not None:
        return Path(model_dir), None
    from stance.project import load_project

    project = project or load_project(DEFAULT_CONFIG)
    found = project.default_model()
    if found is not None:
        return found, None
    target = project.model_dir
    from stance.train import train

    log(f"No trained model at {target}: training it now from {project.describe()} (first run only; "
        f"later runs reuse it; set STANCE_HOME or pass --model to keep models elsewhere).")
    train(project.config, target, progress=True)
    log(f"Trained model saved to {target}")
    return target, target


def model_line(model_dir: Optional[Path], project: Optional["Project"] = None) -> str:
    """One line saying which model a run uses (the first line `stance analyze` prints)."""
    from stance.classify import read_meta
    from stance.home import shipped_model_dir
    from stance.project import load_project

    if model_dir is None:
        project = project or load_project(DEFAULT_CONFIG)
        model_dir = project.default_model()
        if model_dir is None:
            return f"model: none at {project.model_dir} yet; it is trained first from {project.describe()}"
    meta = read_meta(Path(model_dir))
    shipped = shipped_model_dir()
    where = "shipped with stance" if shipped is not None and Path(model_dir).resolve() == shipped.resolve() else str(model_dir)
    base = (meta.get("base_model") or {}).get("name", "?")
    method = "frozen encoder + fitted heads" if meta.get("method") == "embed" else "fine-tuned encoder"
    learned = meta.get("data_fingerprint", {}).get("rows", 0) + sum(f.get("statements", 0) for f in meta.get("features") or [])
    real = sum(f.get("statements", 0) for f in meta.get("features") or [])
    extra = f", {real} of them real news kept as features" if real else ""
    return f"model: {meta.get('model_id', Path(model_dir).name)} ({where}; {base}, {method}; {learned} labelled statements{extra})"


def analyze(paths: list[Path], *, manifest: Optional[Path] = None, model_dir: Optional[Path] = None,
            db_path: Path = DEFAULT_DB, out_dir: Path = DEFAULT_OUT, skip_bad: bool = False, period: str = "month",
            progress: bool = True, log: Callable[[str], None] = print,
            project: Optional["Project"] = None, engine: str = "local", workers: Optional[int] = None,
            ray_address: Optional[str] = None, reports: bool = True,
            device: str = "cpu", budget_s: Optional[float] = DEFAULT_BUDGET_S) -> AnalyzeSummary:
    """Run the whole pipeline over `paths` and write the reports; returns a summary.

    `project` (stance.project.load_project) picks the default model and the actor registry;
    None means the defaults shipped with stance. `device`: see stance.classify.device (the ray engine loads on its workers' CPUs).

    `engine` is "local" (`workers` extraction processes; default: one per core
    beyond the first) or "ray" (Ray Data, at `ray_address` or a local Ray started
    here); see stance.engine.make_engine. Both store the same statements and labels. `reports=False` stops after
    the store (for very large stores, run `stance report` with filters afterwards).
    `budget_s`: seconds allowed to extract one article (None or 0: no limit); an article over it is
    listed in the summary's `skipped` and not stored, so the next run tries it again.
    """
    from stance.classify import read_meta
    from stance.engine.progress import RunProgress

    reader = CorpusReader(paths, manifest=manifest, skip_bad=skip_bad)
    summary = AnalyzeSummary(skipped=reader.skipped, ignored=reader.ignored)
    model_path, summary.trained_model = ensure_model(model_dir, log, project)
    model_id = summary.model_id = read_meta(model_path).get("model_id", model_path.name)
    actors = project.actors_path if project is not None and not project.packaged else None
    stats = RunStats()
    with Store(db_path) as store, make_engine(engine, model_path, workers=workers, actors=actors, budget_s=budget_s,
                                              device=device, address=ray_address) as runner:
        store.save_model_labels(model_id, read_meta(model_path).get("labels"))  # its none label is the reports' none
        with RunProgress(reader.estimate_total() if progress else None, enabled=progress) as bar:
            for result in runner.extract_classify(plan_chunks(reader, store, stats, bar.tick)):
                stats.skipped.extend(result.skipped)
                stats.statements_labelled += store.write_batch(model_id, result.items())
                found = sum(map(len, result.statements))
                stats.statements_found += found
                if result.skipped:
                    bar.tick(len(result.skipped), 0, skipped=True)
                bar.tick(len(result.articles), found)
        stats.statements_labelled += relabel(store, runner, model_id)
        counts = store.label_counts(model_id)
    summary.articles_read = reader.read
    summary.skipped.extend(stats.skipped)
    summary.new, summary.changed, summary.unchanged = stats.new, stats.changed, stats.unchanged
    summary.statements_found, summary.statements_labelled = stats.statements_found, stats.statements_labelled
    summary.statements_total = counts["total"]
    summary.by_target, summary.by_stance = counts["by_target"], counts["by_stance"]
    summary.unknown_speakers = counts["unknown_speakers"]
    summary.off_target, summary.off_target_by_gate = counts["off_target"], counts["off_target_by_gate"]
    if summary.statements_total and reports:  # one speaker at a time: memory bounded by the largest speaker
        report = write_store_reports(db_path, out_dir, period=period, model_id=model_id)
        summary.reports, summary.changes = report.paths, report.changes
        summary.tentative_changes = report.tentative_changes
    return summary


def plan_chunks(articles: Iterable[Article], store: Store, stats: RunStats, tick=None) -> Iterator[list[Article]]:
    """The corpus cut into chunks of CHUNK articles by position, less the articles the store holds
    unchanged (each status counted in `stats`); chunks left empty are dropped.

    Chunks follow corpus positions, not the work left, so a resumed run classifies
    exactly the batches an uninterrupted run would: dynamic int8 quantization
    scales activations per batch, so a statement's probabilities can depend on
    the other statements of its batch, and equal batches give equal stores.
    """
    for chunk in chunks(articles):
        todo = []
        for article, status in zip(chunk, store.statuses(chunk)):
            setattr(stats, status, getattr(stats, status) + 1)
            if status != "unchanged":
                todo.append(article)
        if tick is not None and len(todo) < len(chunk):
            tick(len(chunk) - len(todo), 0, skipped=True)
        if todo:
            yield todo


def relabel(store: Store, runner: Engine, model_id: str) -> int:
    """Label the statements earlier runs stored that `model_id` has not labelled (a new model), page by page
    through the engine, so the Ray engine labels them on its actors; returns how many were labelled."""
    pages: deque = deque()

    def groups() -> Iterator[list[list[Statement]]]:
        for page in store.pages_needing_prediction(model_id, PREDICT_BATCH):
            pages.append(page)
            yield [[statement for _, statement in page]]  # a page never splits an article: one call, as the gate needs

    labelled = 0
    for predictions in runner.classify(groups()):
        page = pages.popleft()
        labelled += store.add_predictions(model_id, [(sid, p) for (sid, _), p in zip(page, predictions[0])])
    return labelled


def summary_lines(summary: AnalyzeSummary) -> list[str]:
    """The closing summary of a run, one line per fact."""
    lines = [
        f"Articles: {summary.articles_read} read ({summary.new} new, {summary.changed} changed, "
        f"{summary.unchanged} unchanged), {len(summary.skipped)} skipped",
        f"Statements: {summary.statements_found} found this run, {summary.statements_labelled} labelled by "
        f"{summary.model_id}; {summary.statements_total} in the store "
        f"({summary.unknown_speakers} with speaker unknown)",
        "By target: " + ", ".join(f"{k} {v}" for k, v in summary.by_target.most_common()),
        "By stance: " + ", ".join(f"{k} {v}" for k, v in summary.by_stance.most_common()),
        f"Off-target: {summary.off_target} of {summary.statements_total} statements judged about none of the targets "
        f"({summary.off_target_by_gate} by the relevance gate); listed apart, not aggregated into positions",
    ]
    lines += [f"Skipped {item}" for item in summary.skipped]
    lines += [f"Ignored {item}" for item in summary.ignored]
    lines += [f"Change: {change}" for change in summary.changes]
    lines += [f"Tentative change: {change}" for change in summary.tentative_changes]
    if summary.reports:
        lines.append(f"Reports: {', '.join(str(p) for p in summary.reports)}")
    return lines
