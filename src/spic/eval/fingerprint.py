"""Content keys for the evaluation's per-frame records.

A record is reused by a resumed run only when both keys still match:

- the **frame key**: SHA-256 of the sample's image and label files;
- the **method key**: the method's parameters and what it *does*: the bytes it sends and
  the reconstruction it returns on a fixed synthetic probe frame, at that operating point.
  A new codec version, other weights, another segmenter or sampler all change the probe
  output, so their old records are ignored (recomputed), never mixed in; a refactor that
  changes nothing keeps them.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spic.synthetic import synthetic_clip

if TYPE_CHECKING:
    from spic.eval.methods import Method

#: Probe frame size: small enough to cost little even for the 20-step sampler, a multiple
#: of every downscale factor in use.
PROBE_SIZE = (128, 96)


def sha256(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


def sample_key(*files: Path | None) -> str:
    """Content hash of one dataset sample (its image and, when present, its labels)."""
    return sha256(*(Path(f).read_bytes() for f in files if f is not None))[:16]


@lru_cache(maxsize=1)
def probe_frame() -> tuple[np.ndarray, np.ndarray]:
    """The fixed probe: a synthetic street frame and its labels (camvid11)."""
    frame = synthetic_clip(1, *PROBE_SIZE, seed=7)[0]
    return frame.rgb, frame.labels


def method_key(method: "Method", quality: int) -> str:
    """Key of ``method`` at ``quality``: its parameters and its output on the probe frame."""
    rgb, labels = probe_frame()
    method.prepare(rgb, labels)
    coded = method.run(rgb, quality)
    settings = {k: v for k, v in method.settings().items() if k != "points"}
    described = json.dumps({"settings": settings, "quality": quality,
                            "bytes": [coded.bytes_ssm, coded.bytes_coarse, coded.bytes_full]},
                           sort_keys=True, default=str).encode()
    return sha256(described, np.ascontiguousarray(coded.rgb).tobytes())[:16]
