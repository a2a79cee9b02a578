"""Build the real-news feature set that ships with stance, and optionally the shipped default model from it.

The realnews `train` statements (each with its paragraph as context, as the stop-check reads them) are read
by the config's frozen encoder; what is kept per statement is its mean-pooled embedding, its single-word counts
over words that occur in at least two statements, its target and stance, and the number of its excerpt:
features, never text (see stance.classify.features). With --model, `stance train` then trains the config on
its data plus these features into that folder (the shipped model, stance/resources/models/default).

    python scripts/build_features.py --realnews ../shared/realnews --config configs/default.yaml \
        --out stance/resources/features/realnews-train-minilm.features.safetensors \
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
    args = parser.parse_args()
    from stance.classify.embedhead import embeddings, frozen_encoder
    from stance.classify.features import build_features

    config = load_train_config(args.config)
    labels = load_labels(config.resolve(config.labels))
    rows = paragraph_rows(args.realnews, args.split)
    model, tokenizer, base = frozen_encoder(config, labels, config.device)
    x = embeddings(model, tokenizer, rows, config)
    provenance = {"source": "realnews (shared/realnews: real news excerpts labelled to the annotation guide)",
                  "split": args.split, "statements": len(rows), "excerpts": len({r["article"] for r in rows}),
                  "context": "the first paragraph of the excerpt containing the statement",
                  "text": "not kept: embeddings, single-word counts, labels and excerpt numbers only"}
    features = build_features(rows, x, config, base["sha256"]["model.safetensors"], provenance, min_df=args.min_df)
    features.save(args.out)
    print(f"wrote {args.out}: {len(features)} statements, {features.x.shape[1]} dimensions, "
          f"{len(features.vocabulary)} words (in >= {args.min_df} statements)")
    if args.model:
        from stance.train import train

        config.features = [str(args.out.resolve())] if not config.features else config.features
        meta = train(config, args.model, progress=False)
        print(f"trained {meta['model_id']} into {args.model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
