#!/usr/bin/env bash
# Both SCSRDM modes against rate-matched BPG on a CamVid split, with ground-truth maps (the
# paper's setting) and with the vehicle segmenter's maps; both shared judges in one run.
# Writes the run folders under $EVAL (default ~/.cache/spic/eval/<split>-{gt,seg}, resumable)
# and, for the val split, the committed summary docs/results/scsrdm_modes.{json,md} and the
# contact sheet docs/results/scsrdm_contact_sheet.png.
#
#   bash tools/eval_scsrdm_modes.sh [SPLIT]        # SPLIT: val (default) or selection
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SPLIT="${1:-val}"
EVAL="${EVAL:-$HOME/.cache/spic/eval}"
SPIC=.venv/bin/spic
COMMON=(--split "$SPLIT" --metrics miou,psnr,lpips-alex --threads 1 --save-recon 12
        --points spic=35)

for source in gt seg; do
  ssm=$([[ $source == gt ]] && echo gt || echo segmenter)
  out="$EVAL/$SPLIT-$source"
  baselines=(--method bpg --points bpg=45)
  [[ $source == gt ]] && baselines+=(--method coarse+bicubic --points coarse+bicubic=35)
  # quality mode and the baselines; BPG is rate-matched per frame to SPIC's bytes
  "$SPIC" eval "${COMMON[@]}" --out "$out" --ssm "$ssm" --method spic "${baselines[@]}" \
      --match spic-quality --spic-name spic-quality --spic-decoder scsrdm-quality
  # fast mode (the same payload, so the same rate), without and with exact consistency
  "$SPIC" eval "${COMMON[@]}" --out "$out" --ssm "$ssm" --method spic \
      --spic-name spic-fast --spic-decoder scsrdm-fast
  "$SPIC" eval "${COMMON[@]}" --out "$out" --ssm "$ssm" --method spic \
      --spic-name spic-fast-project --spic-decoder scsrdm-fast \
      --spic-decoder-option consistency=project
done

[[ "$SPLIT" == val ]] || exit 0
.venv/bin/python tools/summarize_eval.py \
    --run "ground-truth maps=$EVAL/val-gt" --run "vehicle segmenter maps=$EVAL/val-seg" \
    --row "coarse + bicubic=coarse+bicubic/q35" \
    --row "BPG, rate-matched=bpg/match:spic-quality@q35" \
    --row "SCSRDM quality (20 guided steps)=spic-quality/q35" \
    --row "SCSRDM fast (1 pass)=spic-fast/q35" \
    --row "SCSRDM fast + exact consistency=spic-fast-project/q35" \
    --selection "$(.venv/bin/python -c 'import json; print(json.dumps(json.load(open("docs/results/scsrdm_selection.json"))["selection"]))')" \
    --command "bash tools/eval_scsrdm_modes.sh val" \
    --json docs/results/scsrdm_modes.json --markdown docs/results/scsrdm_modes.md
.venv/bin/python tools/contact_sheet.py "$EVAL/val-gt" --data camvid:../shared/data/camvid \
    --split val --column original=original --column "BPG rate-matched=bpg/match:spic-quality@q35" \
    --column "SCSRDM quality=spic-quality/q35" --column "SCSRDM fast=spic-fast/q35" \
    --out docs/results/scsrdm_contact_sheet.png
