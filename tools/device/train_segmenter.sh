#!/usr/bin/env bash
# One segmenter training run on a lent GPU, inside one `run` call of the device tool.
#
# Here, once per session:  .venv/bin/python tools/device/camvid_pack.py pack
# Then run (carry [".device"]), e.g. two candidates of 4 minutes each:
#   MINUTES=4 bash tools/device/train_segmenter.sh a --batch 16 && \
#   MINUTES=4 bash tools/device/train_segmenter.sh b --batch 16 --model '{"input_scale": 1.0}'
# Each run NAME comes back as $OUT/NAME.tar (best checkpoint, history, config, log); choose
# here with `spic eval-segmenter --split selection` on the original PNGs.
# The recipe is v4's (docs/segmenter.md); later arguments override it. DEVICE=cpu with a
# small MINUTES and --max-train is the dry run this script is tested with.
set -euo pipefail
name=${1:?usage: train_segmenter.sh NAME [spic train-segmenter arguments]}
shift
: "${OUT:?OUT: the folder whose files come back}"
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
MINUTES=${MINUTES:-4}
WORK=${WORK:-/tmp/spic_device}
repo=$(cd "$(dirname "$0")/../.." && pwd)
PACK=${PACK:-$repo/.device}
export PYTHONPATH="$repo/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda:",
    torch.cuda.is_available() and torch.cuda.get_device_name(0))'
"$PYTHON" "$repo/tools/device/camvid_pack.py" unpack "$WORK" --pack "$PACK" >/dev/null
run="$WORK/runs/$name"
rm -rf "$run"
mkdir -p "$run"
"$PYTHON" -c 'import sys; from spic.cli import main; sys.exit(main(sys.argv[1:]))' \
  train-segmenter --data "camvid:$WORK/camvid" --out "$run" --device "$DEVICE" \
  --threads "$(nproc)" --cache "$WORK/cache" --teacher "$WORK/models/espnet_camvid.onnx" \
  --max-minutes "$MINUTES" --batch 8 --lr 0.003 --class-weight-c 1.1 --eval-every 300 \
  --scale 0.5 1.75 --gamma 0.6 1.8 --channel-gain 0.1 --blur 0.25 --noise 0.25 \
  --no-progress "$@" 2>&1 | tee "$run/train.log"
tar -C "$WORK/runs" -cf "$OUT/$name.tar" --exclude="$name/last" "$name"
