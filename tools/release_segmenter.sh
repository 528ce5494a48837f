#!/usr/bin/env bash
# Ships a trained SpicSegNet checkpoint as the embedded default segmenter and writes the
# evaluations its model card and docs/results/segmenter/ report:
#
#   bash tools/release_segmenter.sh /work/spic_runs/segmenter_v2/best
#
# 1. weights + ONNX graph (hash-checked) into src/spic/weights/segmenter;
# 2. the selection split (where the checkpoint was chosen) and CamVid val (once per release),
#    clean and under the camera conditions of spic.segmentation.conditions;
# 3. latency of the shipped graph, 2 threads; the model card rendered from all of it.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
CHECKPOINT="${1:?usage: release_segmenter.sh RUN/best}"
SPIC=.venv/bin/spic
OUT=docs/results/segmenter
WEIGHTS=src/spic/weights/segmenter
DATA=camvid:../shared/data/camvid
CONDITIONS=(--condition clean --condition dusk --condition defocus --condition noise
            --condition low-resolution)
mkdir -p "$OUT"
"$SPIC" export-segmenter --weights "$CHECKPOINT" --as-weights -o "$WEIGHTS"
for split in selection val; do
  "$SPIC" eval-segmenter --data "$DATA" --split "$split" --threads 2 "${CONDITIONS[@]}" \
      --json "$OUT/spic_$split.json"
done
.venv/bin/python benchmarks/bench_segmenter.py --threads 2 --runs 50 --backend spic \
    --json "$OUT/latency.json"
"$SPIC" export-segmenter --weights "$CHECKPOINT" --as-weights -o "$WEIGHTS" \
    --eval-json "$OUT/spic_val.json" --bench-json "$OUT/latency.json"
