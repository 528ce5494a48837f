"""The reference FLIF tool compiled to WebAssembly (npm ``flif-wasm``), as an oracle.

Used by interoperability tests and the benchmark only; it is not part of the runtime
package. The setup script installs it with ``npm install --prefix .cache/node flif-wasm@1.0.8``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
FLIF_WASM = REPO / ".cache" / "node" / "node_modules" / "flif-wasm" / "bin" / "flif-wasm"


def flif_wasm_command() -> list[str] | None:
    """``[node, flif-wasm]`` when both are installed, else None."""
    node = shutil.which("node")
    if node is None or not FLIF_WASM.exists():
        return None
    return [node, str(FLIF_WASM)]


def _run(args: list[str]) -> None:
    command = flif_wasm_command()
    if command is None:
        raise RuntimeError(f"flif-wasm is not installed ({FLIF_WASM})")
    result = subprocess.run(command + args, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"flif-wasm {' '.join(args)} failed: {result.stderr.strip()}")


def reference_decode(data: bytes) -> np.ndarray:
    """Decode FLIF bytes with the reference decoder (gray maps come back as H x W)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.flif", Path(tmp) / "out.png"
        src.write_bytes(data)
        _run(["-d", "--overwrite", str(src), str(dst)])
        with Image.open(dst) as img:
            return np.array(img)


def reference_encode(image: np.ndarray, *flags: str) -> bytes:
    """Encode a uint8 image with the reference encoder and extra flags (e.g. ``-N``, ``-E100``)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.png", Path(tmp) / "out.flif"
        Image.fromarray(image).save(src)
        _run(["-e", "--overwrite", *flags, str(src), str(dst)])
        return dst.read_bytes()
