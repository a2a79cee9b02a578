"""The main job: ingest, extract, classify, store, aggregate and report.

The corpus is streamed (stance.ingest.corpus.CorpusReader) through an engine
(stance.engine: `local` worker processes or `ray`), which commits each chunk of
articles with their statements and predictions in one transaction. So memory
does not grow with the corpus, an interrupted run keeps everything it
committed, and the next run picks up where it stopped: unchanged articles are
skipped, statements already labelled by the current model are not labelled again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from stance.config import DEFAULT_CONFIG
from stance.ingest import CorpusReader
from stance.engine import ENGINES, PREDICT_BATCH, classify_chunk, default_workers
from stance.errors import StanceError
from stance.extract.timebudget import DEFAULT_BUDGET_S
from stance.track import NONE_LABEL
from stance.report import DEFAULT_OUT, load_aggregate, write_reports
from stance.store import DEFAULT_DB, Store

if TYPE_CHECKING:
    from stance.project import Project


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
    here). Both store the same statements and labels. `reports=False` stops after
    the store (for very large stores, run `stance report` with filters afterwards).
    `budget_s`: seconds allowed to extract one article (None or 0: no limit); an article over it is
    listed in the summary's `skipped` and not stored, so the next run tries it again.
    """
    from stance.classify import load_classifier, read_meta
    from stance.engine.progress import RunProgress

    if engine not in ENGINES:
        raise StanceError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if workers is not None and workers < 0:
        raise StanceError(f"--workers {workers}: expected 0 (extract in-process) or more")
    reader = CorpusReader(paths, manifest=manifest, skip_bad=skip_bad)
    summary = AnalyzeSummary(skipped=reader.skipped, ignored=reader.ignored)
    model_path, summary.trained_model = ensure_model(model_dir, log, project)
    model_id = read_meta(model_path).get("model_id", model_path.name)
    summary.model_id = model_id
    actors = project.actors_path if project is not None and not project.packaged else None
    loaded = []

    def classifier():
        if not loaded:
            loaded.append(load_classifier(model_path, device=device))
        return loaded[0]

    with Store(db_path) as store:
        with RunProgress(reader.estimate_total() if progress else None, enabled=progress) as bar:
            if engine == "ray":
                from stance.engine.ray_engine import run_ray

                stats = run_ray(reader, store, model_path, model_id, address=ray_address, workers=workers,
                                actors=actors, budget_s=budget_s, tick=bar.tick)
            else:
                from stance.engine.local import run_local

                stats = run_local(reader, store, classifier, model_id, actors=actors,
                                  workers=default_workers() if workers is None else workers, budget_s=budget_s,
                                  tick=bar.tick)
        # Statements stored by earlier runs that this model has not labelled yet (a new model), page by page.
        for page in store.pages_needing_prediction(model_id, PREDICT_BATCH):
            predictions = classify_chunk(classifier(), [[statement for _, statement in page]])[0]
            stats.statements_labelled += store.add_predictions(
                model_id, [(sid, p) for (sid, _), p in zip(page, predictions)])
        counts = store.label_counts(model_id, NONE_LABEL)
    summary.articles_read = reader.read
    summary.skipped.extend(stats.skipped)
    summary.new, summary.changed, summary.unchanged = stats.new, stats.changed, stats.unchanged
    summary.statements_found, summary.statements_labelled = stats.statements_found, stats.statements_labelled
    summary.statements_total = counts["total"]
    summary.by_target, summary.by_stance = counts["by_target"], counts["by_stance"]
    summary.unknown_speakers = counts["unknown_speakers"]
    summary.off_target, summary.off_target_by_gate = counts["off_target"], counts["off_target_by_gate"]
    if summary.statements_total and reports:
        result = load_aggregate(db_path, period=period, model_id=model_id)
        summary.reports = write_reports(result, out_dir)
        summary.changes = [c["text"] for c in result.get("changes", [])]
        summary.tentative_changes = [c["text"] for c in result.get("tentative_changes", [])]
    return summary


def article_batches(pending: list, size: int) -> list[list]:
    """(id, statement) pairs in batches of about `size` that never split an article: the relevance
    gate judges a statement with the other statements of its article."""
    batches: list[list] = []
    for item in pending:
        article = getattr(item[1], "article", None)
        same = bool(batches) and getattr(batches[-1][-1][1], "article", None) == article
        if not batches or (len(batches[-1]) >= size and not same):
            batches.append([])
        batches[-1].append(item)
    return batches


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
