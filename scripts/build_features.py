"""Build what the shipped default learned from real news: the tuned encoder layers, the feature set, the model.

1. With --tune N: the config's encoder is fine-tuned (method finetune, only its top N layers, `real_weight`,
   `speaker_dropout` as configured) on the config's data plus the realnews `train` statements (each with its
   paragraph as context, as the stop-check reads them); those N layers are written in float16 to --delta
   (stance.classify.delta: a delta over the verified base encoder, with its digest). --delta-from FILE takes a
   delta already trained that way (e.g. kept by `realnews_eval.py --keep-deltas` for the same recipe and seed).
2. The realnews statements are read by the config's frozen encoder (with the delta); per statement what is kept
   is its mean-pooled embedding, its word (and word-pair) counts hashed into `tfidf_buckets` buckets (or, without
   hashing, single-word counts over words in at least --min-df statements), its target and stance, and the number
   of its excerpt: features, never text (see stance.classify.features).
3. With --model, `stance train` trains the config on its data plus these features into that folder (the shipped
   model, stance/resources/models/default).

    python scripts/build_features.py --realnews ../shared/realnews --config configs/default.yaml --tune 1 \
        --delta stance/resources/encoders/minilm-l3-tuned.delta.safetensors \
        --out stance/resources/features/realnews-train-minilm-tuned.features.safetensors \
        --model stance/resources/models/default
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from realnews_eval import paragraph_rows  # noqa: E402

from stance.config import load_labels, load_train_config  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--realnews", type=Path, default=ROOT.parent / "shared" / "realnews")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml")
    parser.add_argument("--split", default="train")
    parser.add_argument("--min-df", type=int, default=2, help="keep words that occur in at least this many statements")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--model", type=Path, help="then train the config (with these features) into this folder")
    parser.add_argument("--tune", type=int, metavar="N", help="first fine-tune the top N encoder layers into --delta")
    parser.add_argument("--delta-from", type=Path, help="with --tune: take this delta, trained the same way, instead")
    parser.add_argument("--delta", type=Path, help="where the tuned layers go (the config's encoder_delta names it)")
    args = parser.parse_args()
    from stance.classify.embedhead import embeddings, frozen_encoder
    from stance.classify.features import build_features

    config = load_train_config(args.config)
    labels = load_labels(config.resolve(config.labels))
    rows = paragraph_rows(args.realnews, args.split)
    if args.tune:
        if not args.delta:
            parser.error("--tune needs --delta (where the tuned layers go)")
        tune(config, labels, rows, args)
    model, tokenizer, base = frozen_encoder(config, labels, config.device, delta=args.delta)
    x = embeddings(model, tokenizer, rows, config)
    provenance = {"source": "realnews (shared/realnews: real news excerpts labelled to the annotation guide)",
                  "split": args.split, "statements": len(rows), "excerpts": len({r["article"] for r in rows}),
                  "context": "the first paragraph of the excerpt containing the statement",
                  "text": "not kept: embeddings, " + ("hashed word and word-pair counts" if config.tfidf_buckets else
                                                       "single-word counts") + ", labels and excerpt numbers only"}
    digest = base.get("encoder_sha256", base["sha256"]["model.safetensors"])
    features = build_features(rows, x, config, digest, provenance, min_df=args.min_df)
    features.save(args.out)
    print(f"wrote {args.out}: {len(features)} statements, {features.x.shape[1]} dimensions, "
          + (f"{config.tfidf_buckets} hash buckets" if config.tfidf_buckets else
             f"{len(features.vocabulary)} words (in >= {args.min_df} statements)"))
    if args.model:
        from stance.train import train

        config.features = [str(args.out.resolve())] if not config.features else config.features
        meta = train(config, args.model, progress=False)
        print(f"trained {meta['model_id']} into {args.model}")
    return 0


def tune(config, labels, rows: list[dict], args) -> None:
    """Fine-tune the top `args.tune` layers on the config's data + `rows` and write them to args.delta."""
    import shutil
    from dataclasses import replace

    from stance.classify.delta import read_about, save_delta
    from stance.classify.traindata import load_labelled
    from stance.train import fit_classifier

    args.delta.parent.mkdir(parents=True, exist_ok=True)
    if args.delta_from:
        read_about(args.delta_from)  # a delta, not any file
        shutil.copyfile(args.delta_from, args.delta)
        print(f"took {args.delta_from} as {args.delta}")
        return
    tuning = replace(config, method="finetune", train_layers=args.tune, features=[], encoder_delta="",
                     calibrate=False, tfidf_buckets=0)
    data = load_labelled([config.resolve(p) for p in config.data], labels) + rows
    fitted = fit_classifier(data, tuning, labels, progress=True)
    provenance = {"trained_on": f"{len(data) - len(rows)} statements of the config's data + {len(rows)} realnews "
                                f"{args.split} statements (shared/realnews, {len({r['article'] for r in rows})} excerpts)",
                  "train_layers": args.tune, "seed": config.seed, "real_weight": config.real_weight,
                  "speaker_dropout": config.speaker_dropout, "epochs": config.epochs,
                  "learning_rate": config.learning_rate, "script": "scripts/build_features.py"}
    save_delta(fitted.classifier.model, args.delta, fitted.info["base_model"]["sha256"]["model.safetensors"], provenance)
    print(f"wrote {args.delta}: the top {args.tune} tuned layer(s), float16")


if __name__ == "__main__":
    raise SystemExit(main())
