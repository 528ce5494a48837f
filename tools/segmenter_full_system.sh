#!/usr/bin/env bash
# The full system on CamVid val with each segmenter's own maps, at the default point (SLC map,
# coarse BPG q35, SCSRDM fast) beside full-resolution BPG rate-matched per frame to its bytes,
# scored by both shared judges; one process per segmenter, one thread each:
#
#   bash tools/segmenter_full_system.sh "v3=/work/spic_runs/segmenter_v3_shipped" \
#       "v4 (embedded)=src/spic/weights/segmenter"
#
# Run folders under $EVAL (default ~/.cache/spic/eval/segmenters); the summary goes to
# docs/results/segmenter/full_system.{json,md}.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
EVAL="${EVAL:-$HOME/.cache/spic/eval/segmenters}"
OUT=docs/results/segmenter
(( $# )) || { echo "usage: $0 NAME=WEIGHTS_FOLDER ..." >&2; exit 2; }
runs=() pids=()
for spec in "$@"; do
  name=${spec%%=*} weights=${spec#*=}
  dir="$EVAL/$(echo "$name" | tr -c 'A-Za-z0-9_\n' _)"
  runs+=(--run "$name maps=$dir")
  .venv/bin/spic eval --split val --ssm segmenter --metrics miou,psnr,lpips-alex --threads 1 \
      --out "$dir" --spic-segmenter-option "model=$weights" \
      --method spic --method bpg --points spic=35 --points bpg=45 --match spic-fast@q35 \
      --spic-name spic-fast --spic-decoder scsrdm-fast > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done  # a failed evaluation stops the script here
.venv/bin/python tools/summarize_eval.py "${runs[@]}" \
    --row "BPG, rate-matched=bpg/match:spic-fast@q35" --row "SCSRDM fast (1 pass)=spic-fast/q35" \
    --command "bash tools/segmenter_full_system.sh $(printf '"%s" ' "$@")" \
    --json "$OUT/full_system.json" --markdown "$OUT/full_system.md"
