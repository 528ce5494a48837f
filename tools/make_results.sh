#!/usr/bin/env bash
# Regenerates docs/results from scratch or resumes: every evaluation behind the README
# headline, the rate-distortion curves and the BD-rate tables, on CamVid val.
#
#   bash tools/make_results.sh            # all of it (resumable; records keyed by content)
#   bash tools/make_results.sh summarize  # only rebuild docs/results from the run folders
#
# Run folders: $EVAL/val-gt (ground-truth maps, the paper's setting) and $EVAL/val-seg
# (the vehicle segmenter's maps), default EVAL=~/.cache/spic/eval. Both shared judges score
# every reconstruction in the same run. The two map sources run as two processes, one
# thread each. Full-resolution baselines do not depend on the map source: they run in the
# ground-truth folder only, except BPG rate-matched to SPIC's per-frame bytes (both).
# The shipped SCSRDM models are 4x models, so downscale 8 is not a SPIC operating point.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
EVAL="${EVAL:-$HOME/.cache/spic/eval}"
SPIC=.venv/bin/spic
PY=.venv/bin/python
SPIC_POINTS=spic=25,30,35,40,45  # coarse BPG qualities (QP; 35 is the models' training one)
NICE=(nice -n "${NICE_LEVEL:-0}")  # e.g. NICE_LEVEL=-5 (root) ahead of other work

spic_runs() {  # spic_runs SOURCE Q...: the SPIC variants of one map source; the quality
               # mode at the coarse qualities Q, one after the other (slow: each point is
               # complete when its run ends)
  local source=$1 q
  # fast mode (the remote default), BPG, and BPG rate-matched per frame to the fast mode's
  # bytes at the default point
  spic_eval "$source" --points "$SPIC_POINTS" --method spic --method bpg \
      --points "$([[ $source == gt ]] && echo bpg=51,47,45,43,39,35,31 || echo bpg=45)" \
      --match spic-fast@q35 --spic-name spic-fast --spic-decoder scsrdm-fast
  # the same with the map coded by FLIF instead of SLC: other bytes, the same frames (the
  # reconstructions and their metrics come from the run folder's content cache)
  spic_eval "$source" --points "$SPIC_POINTS" --method spic --spic-ssm-codec flif \
      --spic-name spic-fast-flif --spic-decoder scsrdm-fast
  # fast mode with the exact back-projection onto the coarse image, at the default point
  spic_eval "$source" --points spic=35 --method spic --spic-name spic-fast-project \
      --spic-decoder scsrdm-fast --spic-decoder-option consistency=project
  # quality mode: the same payloads (same rate) through the 20-step sampler
  for q in "${@:2}"; do
    spic_eval "$source" --points "spic=$q" --method spic --spic-name spic-quality \
        --spic-decoder scsrdm-quality
    spic_eval "$source" --points "spic=$q" --method spic --spic-name spic-quality-flif \
        --spic-decoder scsrdm-quality --spic-ssm-codec flif
  done
}

spic_eval() {  # spic_eval SOURCE ARGS...: spic eval into the map source's run folder
  local source=$1
  "${NICE[@]}" "$SPIC" eval --split val --metrics miou,psnr,lpips-alex --threads 1 \
      --save-recon 12 --out "$EVAL/val-$source" \
      --ssm "$([[ $source == gt ]] && echo gt || echo segmenter)" "${@:2}"
}

baselines() {  # the other full-resolution codecs and coarse+bicubic (map-independent)
  spic_eval gt --method jpeg2000 --method jpeg --method coarse+bicubic \
      --points jpeg2000=22,24,26,28,31 --points jpeg=3,5,10,20,35 --points coarse+bicubic=41,35,29
}

if [[ "${1:-}" != summarize ]]; then
  # The 20-step sampler is the slow part: its default point runs first, its curve last.
  start=$SECONDS
  { spic_runs gt 35 30 40 25 45; } > >(sed -u 's/^/[gt] /') 2>&1 &
  gt=$!
  { spic_runs seg 35 && baselines && spic_runs seg 30 40 25 45; } \
      > >(sed -u 's/^/[seg] /') 2>&1 &
  seg=$!
  wait $gt && wait $seg
  echo "evaluations: $((SECONDS - start)) s wall"
fi
# one summary per method over all its points (every record is reused: nothing is recomputed;
# QUALITY_POINTS_GT / _SEG=spic=Q,... name the quality-mode points of a cut-short run)
for source in gt seg; do
  points_var="QUALITY_POINTS_${source^^}"
  for codec in slc flif; do
    spic_eval "$source" --points "${!points_var:-$SPIC_POINTS}" --method spic \
        --spic-name "spic-quality$([[ $codec == slc ]] || echo -flif)" \
        --spic-decoder scsrdm-quality --spic-ssm-codec "$codec"
  done
done

RUNS=(--run "ground-truth maps=$EVAL/val-gt" --run "vehicle segmenter maps=$EVAL/val-seg")
"$PY" tools/summarize_eval.py "${RUNS[@]}" \
    --row "coarse + bicubic=coarse+bicubic/q35" \
    --row "BPG, rate-matched=bpg/match:spic-fast@q35" \
    --row "SCSRDM quality (20 guided steps)=spic-quality/q35" \
    --row "SCSRDM fast (1 pass)=spic-fast/q35" \
    --row "SCSRDM fast, map coded by FLIF=spic-fast-flif/q35" \
    --row "SCSRDM fast + exact consistency=spic-fast-project/q35" \
    --selection "$("$PY" -c 'import json; print(json.dumps(json.load(open("docs/results/scsrdm_selection.json"))["selection"]))')" \
    --command "bash tools/make_results.sh" \
    --json docs/results/scsrdm_modes.json --markdown docs/results/scsrdm_modes.md \
    --readme README.md
"$PY" tools/rd_report.py "${RUNS[@]}" --reference-run "$EVAL/val-gt" \
    --curve spic-fast --curve spic-quality --curve spic-fast-flif --anchor bpg --anchor jpeg2000 \
    --baseline jpeg --baseline coarse+bicubic \
    --command "bash tools/make_results.sh" --out docs/results --readme README.md
"$PY" tools/contact_sheet.py "$EVAL/val-gt" --data camvid:../shared/data/camvid \
    --split val --column original=original --column "BPG rate-matched=bpg/match:spic-fast@q35" \
    --column "SCSRDM quality=spic-quality/q35" --column "SCSRDM fast=spic-fast/q35" \
    --out docs/results/scsrdm_contact_sheet.png
"$PY" tools/artefact_probe.py "$EVAL/val-gt" --data camvid:../shared/data/camvid --split val \
    --column "BPG rate-matched=bpg/match:spic-fast@q35" --column "coarse + bicubic=coarse+bicubic/q35" \
    --column "quality=spic-quality/q35" --column "fast=spic-fast/q35" \
    --column "fast + exact consistency=spic-fast-project/q35" --json docs/results/artefacts.json
