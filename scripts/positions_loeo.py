#!/usr/bin/env python
"""End-to-end scores of the report on the seeds with leave-one-event-out classifiers.

`stance evaluate positions` with the default model scores the seeds with a
classifier trained on them. This script gives the honest figure: events are
found as in `stance evaluate classifier --cv event` (articles sharing quotes);
for each event one model is trained exactly as the CV's finetune+tfidf (the
config's data, minus that event's hand-labelled statements; the composed
statements always in), and it labels that event's statements only, both the
extractor's and the gold ones. Then stance.evaluate.positions scores cells,
changes and the tentative-change rule grid as the command does.

With --models DIR the held-out models are saved there (one folder per event,
recording which event it left out) and reused on the next run, so the scoring
can be repeated, e.g. after gold labels are corrected, without training again;
a reused model never saw its event's labels, old or new.

    nice python scripts/positions_loeo.py seeds/ --gold seeds/labels.jsonl --models /tmp/loeo \
        --json docs/measurements/positions_loeo_seeds.json --markdown docs/measurements/positions_loeo_seeds.md

Without training: --cv-json F takes the held-out labels that `stance evaluate
classifier --json F` recorded per gold statement (method --method, default
finetune+tfidf). A statement of the tool takes the label of the gold statement
it matches (same article, spans overlapping by half, as `stance evaluate
extraction`); one matching none gets target none (so it states nothing). Those
records carry no probabilities, so every label counts as confident: the rule
grid then only tells apart rules by their utterance count.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _saved(folder: Path, event: str):
    """The classifier saved in folder when it was trained without `event`, else None."""
    from stance.classify import load_classifier, read_meta

    if not (folder / "model.safetensors").is_file() or read_meta(folder).get("held_out") != event:
        return None
    return load_classifier(folder, int8=False)


def loeo_classify(gold: Path, config, models: Path = None, log=print):
    """A classify(rows) that labels each row with the model trained without its article's event."""
    import hashlib

    from stance.config import load_labels
    from stance.errors import StanceError
    from stance.classify.traindata import find_events, load_labelled
    from stance.train import fit_classifier, save_model

    labels = load_labels(config.resolve(config.labels))
    paths = [config.resolve(p) for p in config.data]
    if gold.resolve() not in [p.resolve() for p in paths]:
        raise StanceError(f"{gold}: not among the config's data ({', '.join(map(str, paths))}); "
                          "the held-out labels must be the ones the default model trains on")
    rows = load_labelled(paths, labels)
    seeds = [r for r in rows if not r["composed"] and Path(r["where"].rsplit(":", 1)[0]).resolve() == gold.resolve()]
    others = [r for r in rows if r not in seeds]
    events = find_events(seeds)
    names = sorted(set(events.values()))
    classifiers, folds = {}, {}
    for number, event in enumerate(names, 1):
        folder = Path(models) / f"heldout-{hashlib.sha1(event.encode()).hexdigest()[:10]}" if models else None
        if folder is not None and (saved := _saved(folder, event)) is not None:
            log(f"fold {number}/{len(names)}: reusing {folder} (trained without {event})")
            classifiers[event] = saved
            folds[event] = {"model": str(folder), "reused": True, **json.loads((folder / "metrics.json").read_text())}
            continue
        train = [r for r in seeds if events.get(r.get("article")) != event] + others
        log(f"fold {number}/{len(names)}: training without {event} ({len(train)} statements)")
        started = time.perf_counter()
        fitted = fit_classifier(train, config, labels)
        classifiers[event] = fitted.classifier
        metrics = {"train_seconds": round(time.perf_counter() - started, 1), "statements": len(train),
                   "seed_statements": len(train) - len(others)}
        if folder is not None:
            save_model(fitted.classifier, folder, train, paths, fitted.info["base_model"], metrics,
                       extra={"held_out": event})
        folds[event] = {"model": str(folder) if folder else None, "reused": False, **metrics}

    def classify(statements: list[dict]):
        out = [None] * len(statements)
        for event, classifier in classifiers.items():
            idx = [i for i, r in enumerate(statements) if events.get(r.get("article")) == event]
            for i, prediction in zip(idx, classifier.predict([statements[i] for i in idx]) if idx else []):
                out[i] = prediction
        missing = sorted({statements[i].get("article") for i, p in enumerate(out) if p is None})
        if missing:
            raise StanceError(f"no held-out model for article(s) {', '.join(map(str, missing))}: they have no gold labels")
        return out

    info = {"scheme": "leave-one-event-out", "events": {e: sorted(a for a, v in events.items() if v == e) for e in names},
            "folds": folds, "data": [str(p) for p in paths], "config": config.to_dict()}
    return classify, info


def recorded_classify(gold: Path, cv_json: Path, method: str, articles: dict):
    """A classify(rows) from the held-out labels recorded by `stance evaluate classifier --json`."""
    from stance.errors import StanceError
    from stance.evaluate.extraction import _overlap, load_gold
    from stance.records import Prediction

    report = json.loads(Path(cv_json).read_text(encoding="utf-8"))
    by_line = {}  # the CV's gold file by line; --gold must hold the same rows (text checked), wherever it lies
    for p in report.get("predictions", []):
        file, line = p["where"].rsplit(":", 1)
        if Path(file).name == gold.name and method in p:
            by_line[int(line)] = (p["text"], p[method])
    located = load_gold(gold, articles)
    labelled_gold = []
    for g in located:
        line = int(g.where.rsplit(":", 1)[1])
        if line not in by_line or by_line[line][0] != g.text:
            raise StanceError(f"{cv_json}: no {method} prediction for {g.where} ({g.text[:40]!r}); "
                              "expected the gold file the CV was run on")
        labelled_gold.append((g, by_line[line][1]))

    def classify(rows: list[dict]):
        out = []
        for r in rows:
            best, label = 0.0, ("none", "none")
            for g, pred in labelled_gold:
                if g.article == r.get("article"):
                    overlap = max(_overlap((r["start"], r["end"]), span) for span in g.spans)
                    if overlap >= 0.5 and overlap > best:
                        best, label = overlap, pred
            out.append(Prediction(target=label[0], stance=label[1]))
        return out

    info = {"scheme": f"labels recorded by stance evaluate classifier ({report.get('cv')}), method {method}",
            "cv_json": str(cv_json), "events": report.get("events")}
    return classify, info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="articles the gold labels refer to")
    parser.add_argument("--gold", type=Path, required=True, help="gold statements (one of the config's data files)")
    parser.add_argument("--manifest", type=Path)
    parser.add_argument("--config", type=Path, help="training config (default: configs/default.yaml)")
    parser.add_argument("--period", default="month")
    parser.add_argument("--models", type=Path, help="save the held-out models here and reuse them on later runs")
    parser.add_argument("--cv-json", type=Path, help="use the held-out labels recorded in this CV report instead of training")
    parser.add_argument("--method", default="finetune+tfidf", help="with --cv-json: whose labels")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)

    from stance.config import load_train_config
    from stance.ingest import load_corpus
    from stance.errors import StanceError
    from stance.evaluate.position_inputs import position_inputs
    from stance.evaluate.positions import evaluate_positions, to_markdown

    try:
        corpus = load_corpus(args.paths, manifest=args.manifest)
        if args.cv_json:
            classify, info = recorded_classify(args.gold, args.cv_json, args.method,
                                               {a.id: a for a in corpus.articles})
        else:
            classify, info = loeo_classify(args.gold, load_train_config(args.config), args.models,
                                           log=lambda m: print(m, file=sys.stderr))
        report = evaluate_positions(position_inputs(corpus.articles, args.gold, classify=classify), period=args.period)
    except StanceError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    report["classifier"] = info
    text = to_markdown(report)
    from stance.outputs import write_outputs

    write_outputs(report, text, args.json, args.markdown)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
