"""The CamVid training frames and the distillation teacher, packed to travel to a device machine.

A `run` call sends the working tree and at most 64 MiB with it, and ``../shared`` does not
travel. CamVid train as PNG (91 MB) does not fit beside the repository, so ``pack`` writes
its frames as JPEG (quality 90, 4:2:0 as cameras write it: about 18 MiB for 367 frames), the
label PNGs as they are, and the teacher, under ``.device/`` (git-ignored; name it in
``carry``); it refuses a pack that would not travel beside the tracked files. ``unpack``, run on
the device machine, restores the SegNet layout that ``camvid:DIR`` reads (frames as PNG
again, now holding the JPEG's pixels) and copies the teacher beside it.

    .venv/bin/python tools/device/camvid_pack.py pack            # here
    python3 tools/device/camvid_pack.py unpack /tmp/spic_device  # there

Only training and checkpoint selection happen there; every number that decides a release
is measured here again on the original PNGs (``spic eval-segmenter``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
PACK = REPO / ".device"
QUALITY = 90
TRAVEL_LIMIT = 64 * 2**20  # what one `run` call sends: tracked files + carried paths
TEACHERS = ("espnet_camvid",)


def pack(camvid: Path, models: Path, out: Path) -> dict:
    """Write the pack; returns its manifest."""
    if out.exists():
        shutil.rmtree(out)
    (out / "camvid" / "train").mkdir(parents=True)
    shutil.copytree(camvid / "trainannot", out / "camvid" / "trainannot")
    frames = sorted((camvid / "train").glob("*.png"))
    for path in frames:
        with Image.open(path) as img:
            img.convert("RGB").save(out / "camvid" / "train" / f"{path.stem}.jpg",
                                    quality=QUALITY, subsampling=2)
    (out / "models").mkdir()
    for name in TEACHERS:
        for suffix in (".onnx", ".json"):
            shutil.copy(models / f"{name}{suffix}", out / "models" / f"{name}{suffix}")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    travel = size + _tracked_bytes()
    if travel > 0.95 * TRAVEL_LIMIT:
        raise SystemExit(f"pack {size / 2**20:.1f} MiB + tracked files = {travel / 2**20:.1f} "
                         f"MiB: over 95 % of the {TRAVEL_LIMIT / 2**20:.0f} MiB a call sends")
    manifest = {"frames": len(frames), "jpeg_quality": QUALITY, "teachers": list(TEACHERS),
                "bytes": size, "travel_bytes": travel}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _tracked_bytes() -> int:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.split(b"\0")
    return sum((REPO / n.decode()).stat().st_size for n in names if n)


def unpack(pack_dir: Path, dest: Path) -> Path:
    """The SegNet layout under ``dest/camvid`` (train as PNG, trainannot) and the teachers
    under ``dest/models``; returns ``dest``. Done once: an existing copy is kept."""
    done = dest / "unpacked"
    if done.exists():
        return dest
    train = dest / "camvid" / "train"
    train.mkdir(parents=True, exist_ok=True)
    for path in sorted((pack_dir / "camvid" / "train").glob("*.jpg")):
        with Image.open(path) as img:
            img.convert("RGB").save(train / f"{path.stem}.png", compress_level=1)
    shutil.copytree(pack_dir / "camvid" / "trainannot", dest / "camvid" / "trainannot",
                    dirs_exist_ok=True)
    shutil.copytree(pack_dir / "models", dest / "models", dirs_exist_ok=True)
    done.write_text("")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="write .device/ here")
    p.add_argument("--camvid", type=Path, default=SHARED / "data" / "camvid")
    p.add_argument("--models", type=Path, default=SHARED / "models")
    p.add_argument("--out", type=Path, default=PACK)
    u = sub.add_parser("unpack", help="restore the CamVid layout on the device machine")
    u.add_argument("dest", type=Path)
    u.add_argument("--pack", type=Path, default=PACK)
    args = parser.parse_args()
    if args.command == "pack":
        print(json.dumps(pack(args.camvid, args.models, args.out)))
    else:
        print(unpack(args.pack, args.dest))


if __name__ == "__main__":
    main()
