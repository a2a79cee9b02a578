#!/usr/bin/env bash
# Check the accelerator path end to end: train a tiny model and the default config (1 epoch) on the GPU,
# predict with both, and print device, statements/s and seconds. Run from the repository root:
#     bash scripts/gpu_check.sh            # needs torch with CUDA (or MPS) and the default base model
set -euo pipefail
PY=${PYTHON:-python}
OUT=${OUT:-$(mktemp -d)}
DEVICE=${DEVICE:-auto}
$PY - "$OUT" "$DEVICE" <<'PYEOF'
import json, sys, time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, ".")
from stance.classify.predict import load_classifier
from stance.config import load_labels, load_train_config
from stance.classify.device import choose_device
from stance.train import train
from stance.classify.traindata import load_labelled

out, requested = Path(sys.argv[1]), sys.argv[2]
chosen = choose_device(requested)
print(chosen.describe(), flush=True)
rows = load_labelled([Path("seeds/labels.jsonl")], load_labels())
statements = [{"speaker": r.get("speaker"), "text": r["text"], "context": r.get("context", "")} for r in rows]
statements = [statements[i % len(statements)] for i in range(2000)]
results = {"device": chosen.name, "dtype": chosen.dtype}
for name, settings in (("tiny (2 encoder layers, 1 epoch)", {"encoder_layers": 2, "epochs": 1}),
                       ("default config, 1 epoch", {"epochs": 1})):
    config = replace(load_train_config(), device=chosen.name, **settings)
    started = time.perf_counter()
    meta = train(config, out / name.split()[0], progress=False)
    trained = time.perf_counter() - started
    clf = load_classifier(out / name.split()[0], device=chosen.name)
    clf.predict(statements[:64])
    started = time.perf_counter()
    clf.predict(statements, batch_size=128)
    rate = len(statements) / (time.perf_counter() - started)
    results[name] = {"train_s": round(trained, 1), "predict_statements_per_s": round(rate, 1),
                     "trained_on": meta.get("trained_on")}
    print(f"{name}: trained in {trained:.1f} s on {meta.get('trained_on')}, predict {rate:.1f} statements/s", flush=True)
cpu = load_classifier(out / "default", device="cpu").predict(statements[:50])
print("GPU-trained default model predicts on the CPU:", len(cpu), "statements")
print(json.dumps(results))
PYEOF
