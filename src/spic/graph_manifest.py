"""ONNX graphs shipped beside the weights they were made from, tied to them by a manifest.

A weights folder may carry a runtime graph (the segmenter's ``model.onnx``) so that start-up
skips the export. Its manifest (``<graph>.json``) records the
graph's SHA-256 and those of the files it was made from; a graph whose weights have changed
since is refused, never used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from spic.errors import SpicError


class StaleGraphError(SpicError):
    """A shipped graph does not match the files it claims to come from."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_graph(folder: str | Path, name: str, graph: bytes, sources: tuple[str, ...],
                **extra: object) -> Path:
    """Write ``folder/name`` and its manifest (hashes of the graph and of ``sources``, files
    in ``folder``, plus ``extra`` facts about how it was made)."""
    folder = Path(folder)
    (folder / name).write_bytes(graph)
    manifest = {"onnx_sha256": _sha256(graph),
                "exported_from": {s: _sha256((folder / s).read_bytes()) for s in sources},
                **extra}
    (folder / f"{name}.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return folder / name


def verified_graph(folder: str | Path, name: str, sources: tuple[str, ...],
                   remedy: str) -> bytes | None:
    """``folder/name`` after checking its manifest against the graph and ``sources``; None
    when the folder ships no such graph. Raises :class:`StaleGraphError` (naming ``remedy``)
    when a hash differs or the manifest is unreadable."""
    folder = Path(folder)
    if not (folder / name).exists():
        return None
    try:
        manifest = json.loads((folder / f"{name}.json").read_text())
        expected = {name: manifest["onnx_sha256"], **manifest["exported_from"]}
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise StaleGraphError(f"{folder / name} has no readable {name}.json: {exc}") from exc
    graph = (folder / name).read_bytes()
    actual = {name: _sha256(graph), **{s: _sha256((folder / s).read_bytes()) for s in sources}}
    stale = sorted(s for s in actual if actual[s] != expected.get(s))
    if stale:
        raise StaleGraphError(f"{folder / name} was not made from these weights "
                              f"({', '.join(stale)} differ from {name}.json); remake it with "
                              f"`{remedy}`")
    return graph
