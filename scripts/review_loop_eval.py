"""The analyst loop's bar (issue 14), measured on the seeds' events.

For each fold, half of the seed articles play the analyst's corpus and the other
half the next, unseen corpus:

1. a baseline model is trained on the default configuration's data *without*
   the seed labels (so the seeds are news the model has not seen);
2. the half is analysed with that model into a fresh store, and
   `stance review queue --n N` picks the statements to review;
3. a reviewer fills the queue in: each queued statement takes the target and
   stance of the seed label it quotes (same article, overlapping quote), and
   rows that are no labelled statement get none/none;
4. a model is trained with `--add-data` the reviewed file;
5. both models are scored (`stance evaluate classifier --model`) on the seed
   labels of the other half.

Writes the per-fold and mean gains to --json.

    python scripts/review_loop_eval.py --json docs/measurements/review_loop_seeds.json

With `--realnews DIR` the corpus is the realnews `dev` split instead (issue 26's measurement): its excerpts cut
in two halves by excerpt (alternately, in id order), each half analysed, queued and reviewed from its gold labels
in turn, and both models scored on the other half's gold statements with their paragraph as context. The
baseline is the config as it is (for the default config: with the shipped real-news features, i.e. the
shipped model's recipe); the seeds' labels stay in its data.

    python scripts/review_loop_eval.py --realnews ../shared/realnews --human-weight 1 --human-weight 3 \
        --json docs/measurements/review_loop_realnews.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stance.analyze import analyze  # noqa: E402
from stance.config import load_train_config  # noqa: E402
from stance.evaluate.classifier import evaluate_model  # noqa: E402
from stance.review.queue import build_queue, write_queue  # noqa: E402
from stance.train import train  # noqa: E402
from stance.classify.traindata import same_quote, shingles  # noqa: E402

MARCH_2025 = ["000_bf9abceab3bffed9", "001_c33358eb509a7f24", "002_d7d27435de85b353"]  # one story, three outlets
OTHERS = ["003_be2d0c343ec47e23", "004_46592923fb3c0e31"]  # NATO in February 2024, Greenland in January 2026
EVEN = ["000_bf9abceab3bffed9", "002_d7d27435de85b353", "004_46592923fb3c0e31"]
ODD = ["001_c33358eb509a7f24", "003_be2d0c343ec47e23"]
FOLDS = {
    # by event: the unseen half is other stories (no utterance in both halves); the harder case
    "events": [{"review": MARCH_2025, "heldout": OTHERS}, {"review": OTHERS, "heldout": MARCH_2025}],
    # by article, as the bar splits a corpus in halves: the March 2025 story is in both halves, told by other outlets
    "articles": [{"review": EVEN, "heldout": ODD}, {"review": ODD, "heldout": EVEN}],
}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def fill_in(queue: list[dict], gold: list[dict]) -> tuple[list[dict], int]:
    """The queue as a careful reviewer would fill it from the seed labels; returns rows and how many matched a label."""
    matched = 0
    filled = []
    for row in queue:
        words = shingles(row["text"])
        label = next((g for g in gold if g["article"] == row["article"]
                      and (same_quote(words, shingles(g["text"])) or g["text"] in row["text"]
                           or row["text"] in g["text"])), None)
        matched += label is not None
        filled.append({**row, "target": label["target"] if label else "none",
                       "stance": label["stance"] if label else "none"})
    return filled, matched


def realnews_folds(realnews: Path, work: Path) -> tuple[list[dict], list[dict]]:
    """(folds, gold) for the realnews dev split: each fold a corpus file of one half and the other half's ids."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from realnews_eval import paragraph_rows

    articles = sorted((a for a in read_jsonl(realnews / "articles.jsonl") if a["split"] == "dev"), key=lambda a: a["id"])
    halves = [articles[0::2], articles[1::2]]
    work.mkdir(parents=True, exist_ok=True)
    corpora = [write_jsonl(work / f"half{i}.jsonl", [{k: a[k] for k in ("id", "text", "date") if a.get(k)} for a in half])
               for i, half in enumerate(halves, 1)]
    ids = [[a["id"] for a in half] for half in halves]
    folds = [{"review": ids[0], "heldout": ids[1], "corpus": corpora[0]},
             {"review": ids[1], "heldout": ids[0], "corpus": corpora[1]}]
    return folds, paragraph_rows(realnews, "dev")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml")
    parser.add_argument("--gold", type=Path, default=ROOT / "seeds" / "labels.jsonl")
    parser.add_argument("--folds", choices=sorted(FOLDS), default="events", help="how the seeds are cut in halves")
    parser.add_argument("--n", type=int, default=25, help="queue length, as in the bar")
    parser.add_argument("--human-weight", type=int, action="append",
                        help="human_weight values to try (repeat); default: the config's")
    parser.add_argument("--memory-similarity", type=float, action="append", default=[],
                        help="also try the reviewed rows as a nearest-neighbour memory at this similarity (repeat; "
                        "at human_weight 1); see stance.classify.memory")
    parser.add_argument("--work", type=Path, help="keep the models here (default: a temporary folder); a baseline "
                        "already there is reused, so other weights can be tried against the same baseline")
    parser.add_argument("--realnews", type=Path, help="measure on the realnews dev split cut in halves by excerpt "
                        "instead of the seeds (see above)")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()

    config = load_train_config(args.config)
    gold_path = args.gold.resolve()
    if args.realnews:
        data = [config.resolve(p) for p in config.data]
    else:
        data = [config.resolve(p) for p in config.data if config.resolve(p).resolve() != gold_path]
        gold = read_jsonl(gold_path)
    weights = args.human_weight or [config.human_weight]
    variants = [(str(w), w, 0.0) for w in weights] + [(f"1+memory{m}", 1, m) for m in args.memory_similarity]
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.work or Path(tmp_name)
        baseline_dir = tmp / "baseline"
        if not (baseline_dir / "stance_model.json").is_file():
            train(config, baseline_dir, data=data, progress=False)
        if args.realnews:
            fold_plan, gold = realnews_folds(args.realnews, tmp / "realnews")
            split = "realnews-dev-halves"
        else:
            fold_plan, split = FOLDS[args.folds], args.folds
        folds = []
        for number, fold in enumerate(fold_plan, 1):
            work = tmp / f"{split}-fold{number}"
            work.mkdir(parents=True, exist_ok=True)
            (work / "store.db").unlink(missing_ok=True)
            corpus = [fold["corpus"]] if "corpus" in fold else [ROOT / "seeds" / f"{a}.txt" for a in fold["review"]]
            analyze(corpus, manifest=None if "corpus" in fold else ROOT / "seeds" / "manifest.jsonl",
                    model_dir=baseline_dir, db_path=work / "store.db", out_dir=work / "out",
                    progress=False, log=lambda _line: None, reports=False)
            queue = build_queue(work / "store.db", n=args.n)
            write_queue(queue, work / "queue.jsonl")
            filled, matched = fill_in(queue, gold)
            reviewed = write_jsonl(work / "reviewed.jsonl", filled)
            heldout = write_jsonl(work / "heldout.jsonl", [g for g in gold if g["article"] in fold["heldout"]])
            base = evaluate_model(baseline_dir, heldout)["results"]["model"]
            row = {"fold": number, "reviewed_articles": len(fold["review"]), "heldout_articles": len(fold["heldout"]),
                   "queued": len(queue), "queued_matching_a_label": matched, "heldout_labels": len(read_jsonl(heldout)),
                   "baseline": {"target_macro_f1": base["target"]["macro_f1"], "stance_macro_f1": base["stance"]["macro_f1"]},
                   "with_review": {}}
            for name, weight, memory in variants:
                model_dir = work / f"reviewed-w{name}"
                settings = dataclasses.replace(config, human_weight=weight, memory_similarity=memory)
                settings.source = config.source
                train(settings, model_dir, data=data, progress=False, add_data=[reviewed])
                after = evaluate_model(model_dir, heldout)["results"]["model"]
                row["with_review"][name] = {
                    "target_macro_f1": after["target"]["macro_f1"], "stance_macro_f1": after["stance"]["macro_f1"],
                    "target_gain": round(after["target"]["macro_f1"] - base["target"]["macro_f1"], 4),
                    "stance_gain": round(after["stance"]["macro_f1"] - base["stance"]["macro_f1"], 4)}
            folds.append(row)
            print(json.dumps(row), flush=True)
    mean = {w: {"stance_gain": round(statistics.mean(f["with_review"][w]["stance_gain"] for f in folds), 4),
                "target_gain": round(statistics.mean(f["with_review"][w]["target_gain"] for f in folds), 4)}
            for w, _, _ in variants}
    report = {"command": " ".join(["scripts/review_loop_eval.py"] + sys.argv[1:]), "config": str(args.config),
              "baseline_data": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in data],
              "queue_n": args.n, "split": split, "folds": folds, "mean_gain_by_human_weight": mean,
              "bar": "mean stance macro-F1 gain >= +.05 over two folds, target macro-F1 not lower by more than .02",
              "wall_s": round(time.time() - started, 1)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(mean, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
