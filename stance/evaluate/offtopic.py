"""Off-topic evaluation: how often real news about other subjects is given a target.

Runs the real pipeline (extract, then the classifier with its relevance gate) on one
split of a PolNeAR export (`articles.jsonl` with `split`) and compares with hand
labels of the few statements that ARE about a target (`docs/measurements/
polnear_on_topic.jsonl`: article id, character offsets, target, stance — no text).
Every other statement counts as off-target. The JSON report holds figures, ids,
offsets and scores only, never article text, so it can be kept in the repository.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Optional

from stance.config import PROJECT_ROOT
from stance.errors import StanceError
from stance.outputs import write_json
from stance.records import labelled_row, read_jsonl

DEFAULT_GOLD = PROJECT_ROOT / "docs" / "measurements" / "polnear_on_topic.jsonl"
WORST = 15


def load_split(polnear: Path, split: str) -> list:
    """The articles of one split of a PolNeAR export folder (articles.jsonl with a `split` field)."""
    from stance.ingest import load_corpus

    path = Path(polnear) / "articles.jsonl"
    if not path.is_file():
        raise StanceError(f"{polnear}: no articles.jsonl; expected the PolNeAR export folder (articles.jsonl with 'split')")
    wanted = {str(obj.get("id")) for _, obj in read_jsonl(path) if obj.get("split") == split}
    if not wanted:
        raise StanceError(f"{path}: no article with split {split!r}; expected train or dev")
    return [a for a in load_corpus([path]).articles if a.id in wanted]


def load_gold(path: Path, split: str, labels) -> list[dict]:
    """Hand labels of on-topic statements of `split`: article, start, end, target, stance."""
    gold = []
    for number, obj in read_jsonl(Path(path)):
        where = f"{path}:{number}"
        if not isinstance(obj.get("start"), int) or not isinstance(obj.get("end"), int) or not obj.get("article"):
            raise StanceError(f"{where}: expected article, start, end (character offsets), target, stance")
        labels.check(obj.get("target"), obj.get("stance"), where)
        if obj.get("split", split) == split:
            gold.append(obj)
    return gold


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """At least half of the shorter span is shared (the PolNeAR matching rule)."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared > 0 and shared >= 0.5 * min(a[1] - a[0], b[1] - b[0])


def evaluate_offtopic(polnear: Path, split: str = "dev", model_dir: Optional[Path] = None,
                      gold_path: Path = DEFAULT_GOLD) -> tuple[dict, list[dict]]:
    """(JSON report without text, labelled statements with text for printing)."""
    from dataclasses import asdict

    from stance.classify import load_classifier
    from stance.extract.extractor import extract_statements

    classifier = load_classifier(model_dir)
    none = classifier.labels.none_label
    gold = load_gold(gold_path, split, classifier.labels)
    articles = load_split(polnear, split)
    rows = [asdict(s) for s in extract_statements(articles)]
    predictions = classifier.predict(rows) if rows else []
    rows = [labelled_row(row, pred) for row, pred in zip(rows, predictions)]
    for row, pred in zip(rows, predictions):
        row["ungated_target"] = max(pred.target_probs, key=pred.target_probs.get)
        match = next((g for g in gold if g["article"] == row["article"]
                      and _overlap((g["start"], g["end"]), (row["start"], row["end"]))), None)
        row["gold"] = (match["target"], match["stance"]) if match else (none, none)

    def share(selected: list[dict], key: str = "target") -> dict:
        given = [r for r in selected if r[key] != none]
        return {"statements": len(selected), "given_a_target": len(given),
                "share": round(len(given) / len(selected), 4) if selected else None,
                "by_target": dict(Counter(r[key] for r in given).most_common())}

    off = [r for r in rows if r["gold"][0] == none]
    on = [r for r in rows if r["gold"][0] != none]
    false_pos = sorted((r for r in off if r["target"] != none), key=lambda r: -r["target_probs"][r["target"]])
    report = {
        "split": split, "articles": len(articles), "model_id": classifier.model_id,
        "gate": classifier.labels.relevance.to_dict() if classifier.labels.relevance else None,
        "all": share(rows), "all_without_gate": share(rows, "ungated_target"),
        "off_topic": share(off), "off_topic_without_gate": share(off, "ungated_target"),
        "judged_off_target_by_gate": sum(1 for r in rows if r.get("off_target")),
        "on_topic": {
            "gold": len(gold), "matched": len(on),
            "kept": sum(1 for r in on if r["target"] != none),
            "target_correct": sum(1 for r in on if r["target"] == r["gold"][0]),
            "target_and_stance_correct": sum(1 for r in on if (r["target"], r["stance"]) == r["gold"]),
            "statements": [{"article": r["article"], "start": r["start"], "end": r["end"], "gold": list(r["gold"]),
                            "predicted": [r["target"], r["stance"]], "relevance": r["relevance"]} for r in on],
        },
        "worst_false_positives": [{"article": r["article"], "start": r["start"], "end": r["end"], "target": r["target"],
                                   "probability": r["target_probs"][r["target"]], "relevance": r["relevance"]}
                                  for r in false_pos[:WORST]],
    }
    return report, false_pos


def to_text(report: dict, false_pos: list[dict], show_text: bool = True) -> str:
    """A terminal summary; the worst false positives with their words (printed, never saved)."""
    a, o, t = report["all"], report["off_topic"], report["on_topic"]
    lines = [
        f"{report['split']}: {report['articles']} articles, {a['statements']} statements, model {report['model_id']}",
        f"given a target: {a['given_a_target']} of {a['statements']} ({a['share']:.1%}) "
        f"— without the relevance gate {report['all_without_gate']['given_a_target']} ({report['all_without_gate']['share']:.1%})",
        f"off-topic statements given a target: {o['given_a_target']} of {o['statements']} ({o['share']:.1%}); by target: "
        + (", ".join(f"{k} {v}" for k, v in o["by_target"].items()) or "none"),
        f"judged off-target by the gate: {report['judged_off_target_by_gate']}",
        f"on-topic (hand-labelled): {t['gold']} labelled, {t['matched']} extracted, {t['kept']} kept, "
        f"target right {t['target_correct']}, target and stance right {t['target_and_stance_correct']}",
    ]
    if false_pos:
        lines.append("worst false positives (article, offsets, target, probability, relevance):")
        for r in false_pos[:WORST]:
            words = f" | {r['speaker']}: {r['text'][:100]}" if show_text else ""
            lines.append(f"  {r['article']} {r['start']}-{r['end']} {r['target']} "
                         f"{r['target_probs'][r['target']]:.3f} {r['relevance']}{words}")
    return "\n".join(lines)


def write_report(report: dict, path: Optional[Path]) -> None:
    """The report as JSON at `path` (nothing when None), written atomically."""
    if path is not None:
        write_json(Path(path), report, indent=1)
