"""Reviewed statements as a nearest-neighbour memory: a person's label acts at once on what reads the same.

Retraining with 25 reviewed statements among thousands moves regularised heads little. With
`memory_similarity: S` (> 0) in the config, `stance train --add-data/--db` also keeps the reviewed
statements' encoder embeddings (normalised, float16) with their labels in the model directory
(`memory.safetensors`: no text). At prediction, a statement whose embedding has cosine similarity
s >= S with a reviewed one takes that statement's labels with weight s: p = s * label + (1 - s) * p.
Plain data, never a pickle. Imports numpy only inside functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

MEMORY_FILE = "memory.safetensors"


@dataclass
class Memory:
    """Normalised embeddings (n x h) of reviewed statements with their target and stance label indices."""

    x: object
    target: object
    stance: object
    similarity: float

    def __len__(self) -> int:
        return len(self.target)

    def apply(self, pooled, tprobs, sprobs):
        """(target probs, stance probs, hits) with rows near a reviewed statement moved to its labels."""
        import numpy as np

        z = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9, None)
        sims = z @ self.x.T
        best = sims.argmax(1)
        s = sims[np.arange(len(best)), best]
        hits = s >= self.similarity
        tprobs, sprobs = tprobs.copy(), sprobs.copy()
        for i in np.flatnonzero(hits):
            for probs, labels in ((tprobs, self.target), (sprobs, self.stance)):
                onehot = np.zeros(probs.shape[1], dtype=probs.dtype)
                onehot[int(labels[best[i]])] = 1.0
                probs[i] = s[i] * onehot + (1 - s[i]) * probs[i]
        return tprobs, sprobs, hits

    def save(self, directory: Path) -> Path:
        import numpy as np
        from safetensors.numpy import save_file

        path = Path(directory) / MEMORY_FILE
        save_file({"x": np.asarray(self.x, dtype=np.float16), "target": np.asarray(self.target, dtype=np.int32),
                   "stance": np.asarray(self.stance, dtype=np.int32)}, str(path),
                  metadata={"similarity": str(self.similarity)})
        return path


def build_memory(x, rows: Sequence[dict], targets: Sequence[str], stances: Sequence[str], similarity: float) -> Memory:
    """A memory of reviewed rows with their embeddings `x` (one row per distinct statement)."""
    import numpy as np

    seen: dict = {}
    for vector, row in zip(x, rows):
        seen.setdefault((row.get("article"), row.get("text"), row.get("speaker")), (vector, row))
    vectors = np.array([v for v, _ in seen.values()], dtype=np.float32).reshape(len(seen), -1)
    vectors /= np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9, None)
    return Memory(vectors, np.array([targets.index(r["target"]) for _, r in seen.values()]),
                  np.array([stances.index(r["stance"]) for _, r in seen.values()]), float(similarity))


def load_memory(directory: Path) -> Optional[Memory]:
    """The memory saved in a model directory, or None when it has none."""
    path = Path(directory) / MEMORY_FILE
    if not path.is_file():
        return None
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import load_file

    arrays = load_file(str(path))
    with safe_open(str(path), framework="numpy") as handle:
        similarity = float((handle.metadata() or {}).get("similarity", 1.0))
    return Memory(arrays["x"].astype(np.float32), arrays["target"], arrays["stance"], similarity)
