"""The review queue: the statements most worth a human look, spread over actors and targets.

Worth a look, in this order: a statement that is the only evidence on one side
of a change in an actor's position (one wrong label there puts a false change
in the report), then the least confident labels (the lower of the target and
stance probabilities). After the change witnesses, candidates are grouped by
speaker and predicted target and taken in turns from each group, so a queue of
50 does not go to one actor.
Reviewed statements never come back.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Optional

from stance.track import NONE_LABEL, aggregate
from stance.errors import StanceError
from stance.store import Store

QUEUE_FIELDS = ("id", "article", "date", "speaker", "speaker_mention", "text", "context", "target", "stance",
                "target_probs", "stance_probs", "priority", "reasons")
CHANGE_BONUS = 1.0  # above any uncertainty (which is at most 1): a lone change witness is always looked at first


def _confidence(probs: dict, label: str) -> float:
    return float(probs.get(label, max(probs.values(), default=0.0)))


def lone_change_witnesses(rows: list[dict], none_label: str = NONE_LABEL) -> set:
    """Statement ids of utterances that alone carry one side of a stated change."""
    result = aggregate(rows, none_label=none_label)
    by_utterance = {u.id: u.statement_ids for u in result.utterances}
    witnesses = set()
    for change in result.changes + result.tentative_changes:  # tentative ones most of all
        for side in (change.evidence_from, change.evidence_to):
            if len(side) == 1:
                witnesses.update(by_utterance.get(side[0].utterance, []))
    return witnesses


def rank(rows: list[dict], reviewed: set, none_label: str = NONE_LABEL) -> list[dict]:
    """Queue rows for every unreviewed statement, each with its priority and reasons, best first."""
    witnesses = lone_change_witnesses(rows, none_label) if rows else set()
    ranked = []
    for row in rows:
        if row["statement_id"] in reviewed or row.get("human"):
            continue
        confidence = min(_confidence(row["target_probs"], row["target"]), _confidence(row["stance_probs"], row["stance"]))
        reasons, priority = [f"confidence {confidence:.2f}"], 1.0 - confidence
        witness = row["statement_id"] in witnesses
        if witness:
            reasons.insert(0, "the only evidence for one side of a change")
            priority += CHANGE_BONUS
        ranked.append({
            "id": row["statement_id"], "article": row["article"], "date": row.get("date"), "speaker": row["speaker"],
            "speaker_mention": row.get("speaker_mention", ""), "text": row["text"], "context": row.get("context", ""),
            "target": row["target"], "stance": row["stance"], "target_probs": row["target_probs"],
            "stance_probs": row["stance_probs"], "priority": round(priority, 4), "reasons": reasons, "witness": witness,
        })
    ranked.sort(key=lambda r: (-r["priority"], r["id"]))
    return ranked


def spread(ranked: list[dict], n: int) -> list[dict]:
    """Take up to n rows in turns from each (speaker, target) group, groups in order of their best row."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in ranked:  # already best first, so each group is too
        groups[(row["speaker"].casefold(), row["target"])].append(row)
    order = sorted(groups.values(), key=lambda g: (-g[0]["priority"], g[0]["id"]))
    chosen, depth = [], 0
    while len(chosen) < n and any(depth < len(g) for g in order):
        chosen += [g[depth] for g in order if depth < len(g)]
        depth += 1
    return chosen[:n]


def build_queue(db_path: Path, n: int = 50) -> list[dict]:
    """The n statements of the store most worth reviewing (see the module docstring)."""
    if n < 1:
        raise StanceError(f"--n {n}: expected at least 1")
    with Store(db_path, create=False) as store:
        rows = store.load_labelled()
        reviewed = store.reviewed_ids()
        none_label = store.none_label(store.latest_model_id())
    if not rows and not reviewed:
        raise StanceError(f"{db_path}: no labelled statements to review; run `stance analyze PATH... --db {db_path}` first")
    ranked = rank(rows, reviewed, none_label)
    # lone change witnesses are few and each can falsify a stated change: all of them first, then the rest spread
    witnesses = [r for r in ranked if r["witness"]]
    return (witnesses + spread([r for r in ranked if not r["witness"]], n))[:n]


def queue_row(row: dict) -> dict:
    """A queue row as written to JSONL (fields in QUEUE_FIELDS order)."""
    return {k: row[k] for k in QUEUE_FIELDS}


def write_queue(rows: list[dict], out: Optional[Path]) -> None:
    """Write the queue as JSONL, atomically (a .part file renamed when complete)."""
    import json

    from stance.outputs import atomic_write

    with atomic_write(Path(out)) as handle:
        handle.writelines(json.dumps(queue_row(r), ensure_ascii=False) + "\n" for r in rows)
