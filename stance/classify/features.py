"""Labelled statements kept as features, without their text: what a shipped model learned from, refittable.

A feature set holds, per statement, the frozen encoder's mean-pooled embedding of its model input,
its single-word counts (for the TF-IDF partner), its target and stance, and a group number (the
excerpt it came from, for grouped calibration folds); plus, once, the encoder and input settings
the features were computed with and where the statements came from. Training with `features:`
in the config adds these rows to the labelled text rows, so `stance train --add-data mine.jsonl`
builds on them rather than on the composed data alone. Saved as one safetensors file (arrays, and
the description as its JSON metadata): plain data, never a pickle. No torch here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from stance.config import LabelSet, TrainConfig
from stance.errors import StanceError

SUFFIX = ".features.safetensors"
# the settings that change what an embedding or a word count means: features must match the config's
INPUT_SETTINGS = ("base_model", "encoder_layers", "max_length", "use_speaker", "use_context", "encoder_context",
                  "context_words", "tfidf_buckets")
# settings that feature sets written before they existed were computed with
_EARLIER = {"tfidf_buckets": 0}


@dataclass
class FeatureSet:
    """Embeddings (n x h), word counts (sparse n x v) with their vocabulary, labels and groups of n statements."""

    x: object
    counts: object
    vocabulary: list
    target: list
    stance: list
    group: list
    about: dict = field(default_factory=dict)  # encoder digest, input settings, provenance

    def __len__(self) -> int:
        return len(self.target)

    def rows(self) -> list[dict]:
        """One label dict per statement (target, stance, group), as training and calibration read rows."""
        return [{"target": t, "stance": s, "group": f"features:{g}", "composed": False, "stored": True}
                for t, s, g in zip(self.target, self.stance, self.group)]

    def save(self, path: Path) -> Path:
        import numpy as np
        from safetensors.numpy import save_file

        path = Path(path)
        counts = self.counts.tocsr()
        arrays = {"x": np.asarray(self.x, dtype=np.float16), "counts.data": counts.data.astype(np.int32),
                  "counts.indices": counts.indices.astype(np.int32), "counts.indptr": counts.indptr.astype(np.int64),
                  "group": np.asarray(self.group, dtype=np.int32)}
        about = {**self.about, "vocabulary": self.vocabulary, "target": self.target, "stance": self.stance}
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(arrays, str(path), metadata={"stance_features": json.dumps(about, ensure_ascii=False)})
        return path


def load_features(path: Path) -> FeatureSet:
    """Read a feature set written by FeatureSet.save."""
    import numpy as np
    import scipy.sparse as sp
    from safetensors import safe_open
    from safetensors.numpy import load_file

    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{path}: feature set not found; expected a {SUFFIX} file written by scripts/build_features.py")
    from safetensors import SafetensorError

    try:
        with safe_open(str(path), framework="numpy") as handle:
            about = json.loads((handle.metadata() or {})["stance_features"])
        arrays = load_file(str(path))
    except (OSError, KeyError, ValueError, SafetensorError) as exc:
        raise StanceError(f"{path}: not a stance feature set ({exc}); expected a {SUFFIX} file") from None
    vocabulary = about.pop("vocabulary")
    target, stance = about.pop("target"), about.pop("stance")
    counts = sp.csr_matrix((arrays["counts.data"], arrays["counts.indices"], arrays["counts.indptr"]),
                           shape=(len(target), about.get("settings", {}).get("tfidf_buckets") or len(vocabulary)))
    return FeatureSet(arrays["x"].astype(np.float32), counts, vocabulary, target, stance,
                      arrays["group"].tolist(), about)


def check_features(features: FeatureSet, config: TrainConfig, labels: LabelSet, encoder_sha256: Optional[str],
                   where: str) -> None:
    """Raise StanceError unless the feature set was computed the way `config` reads statements, with its labels."""
    settings = features.about.get("settings", {})
    differ = [f"{k} {settings.get(k, _EARLIER.get(k))!r} (config: {getattr(config, k)!r})" for k in INPUT_SETTINGS
              if settings.get(k, _EARLIER.get(k)) != getattr(config, k)]
    if config.tfidf_buckets and settings.get("tfidf_ngrams") != config.tfidf_ngrams:
        differ.append(f"tfidf_ngrams {settings.get('tfidf_ngrams')!r} (config: {config.tfidf_ngrams!r})")
    if encoder_sha256 and features.about.get("encoder_sha256") != encoder_sha256:
        differ.append("the base encoder's weights")
    if differ:
        raise StanceError(f"{where}: computed with other input settings than the config's: {', '.join(differ)}; "
                          "expected features of the same encoder and input (rebuild them, or drop `features:`)")
    for t, s in zip(features.target, features.stance):
        labels.check(t, s, where)


def merge_counts(sets: Sequence[FeatureSet]):
    """(sparse counts, vocabulary) of several feature sets on the union of their vocabularies, rows in order."""
    import scipy.sparse as sp

    if sets and all(fs.about.get("settings", {}).get("tfidf_buckets") for fs in sets):
        return sp.vstack([fs.counts for fs in sets]).tocsr(), []  # hashed: one fixed column space, no vocabulary
    vocabulary: list = []
    index: dict = {}
    blocks = []
    for fs in sets:
        for word in fs.vocabulary:
            if word not in index:
                index[word] = len(vocabulary)
                vocabulary.append(word)
        coo = fs.counts.tocoo()
        remap = [index[w] for w in fs.vocabulary]
        blocks.append((coo, remap))
    mats = [sp.csr_matrix((coo.data, ([r for r in coo.row], [remap[c] for c in coo.col])), shape=(coo.shape[0], len(vocabulary)))
            for coo, remap in blocks]
    return (sp.vstack(mats).tocsr() if mats else None), vocabulary


def build_features(rows: Sequence[dict], x, config: TrainConfig, encoder_sha256: str, provenance: dict,
                   min_df: int = 2) -> FeatureSet:
    """A feature set of labelled rows with their embeddings `x`.

    With `tfidf_buckets` in the config, the counts are those of hashed words and word pairs (no vocabulary);
    else of single words, leaving out words of fewer than `min_df` statements."""
    import numpy as np

    from stance.classify.lexical import hashed_counts, word_counts
    from stance.classify.traindata import joined_inputs

    texts = joined_inputs(rows, config)
    settings = {k: getattr(config, k) for k in INPUT_SETTINGS}
    if config.tfidf_buckets:
        counts, vocabulary = hashed_counts(texts, config.tfidf_buckets, config.tfidf_ngrams), []
        settings["tfidf_ngrams"] = config.tfidf_ngrams
    else:
        counts, words = word_counts(texts)
        keep = np.where(np.asarray((counts > 0).sum(0)).ravel() >= min_df)[0]
        counts, vocabulary = counts[:, keep], [words[i] for i in keep]
    groups = {g: i for i, g in enumerate(dict.fromkeys(r.get("article") or "" for r in rows))}
    return FeatureSet(np.asarray(x, dtype=np.float32), counts.tocsr(), vocabulary,
                      [r["target"] for r in rows], [r["stance"] for r in rows],
                      [groups[r.get("article") or ""] for r in rows],
                      {"encoder_sha256": encoder_sha256, "settings": settings, "min_df": min_df, **provenance})
