"""Regenerate the SLC test vectors in this folder (only when the format version changes).

    .venv/bin/python tests/data/slc/make_golden.py

Sources are 8-bit PNG label maps; ``manifest.json`` lists each ``.slc`` file with its
source, reference (inter maps) and the SHA-256 of its bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

from spic.codecs import create_codec
from spic.codecs.slc import read_header
from spic.synthetic import synthetic_clip

HERE = Path(__file__).resolve().parent


def sources() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(14)
    frames = [f.labels for f in synthetic_clip(3, width=96, height=72, seed=3)]
    return {
        "synthetic_120x90": synthetic_clip(1, width=120, height=90, seed=5)[0].labels,
        "blobs_40x30_20labels": (np.add.outer(np.arange(30) // 7 * 5, np.arange(40) // 9) % 20 * 3).astype(np.uint8),
        "synthetic_96x72_t0": frames[0],
        "synthetic_96x72_t2": frames[2],
        "sparse_33x17": rng.choice(np.array([0, 200, 255], np.uint8), (33, 17), p=[0.8, 0.15, 0.05]),
        "constant_7x5": np.full((5, 7), 42, np.uint8),
        "single_1x1": np.full((1, 1), 3, np.uint8),
    }


def main() -> None:
    maps = sources()
    vectors = [(name, None) for name in maps] + [("synthetic_96x72_t2", "synthetic_96x72_t0")]
    manifest = []
    for name, reference in vectors:
        Image.fromarray(maps[name]).save(HERE / f"{name}.png")
        data = create_codec("slc").encode(maps[name], reference=None if reference is None else maps[reference])
        file = f"{name}.inter.slc" if reference else f"{name}.slc"
        if read_header(data).inter != bool(reference):
            raise AssertionError(f"{file}: the encoder chose the other mode")
        (HERE / file).write_bytes(data)
        manifest.append({"file": file, "source": f"{name}.png",
                         "reference": f"{reference}.png" if reference else None,
                         "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
