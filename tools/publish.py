"""What the result tools share: the commit they ran at, and generated blocks in Markdown
files (``<!-- NAME:begin -->`` ... ``<!-- NAME:end -->``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def git_commit() -> str | None:
    """The checkout's HEAD commit, or None outside a git checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- {re.escape(name)}:begin -->\n)(.*?)(<!-- {re.escape(name)}:end -->)",
                      re.S)


def read_block(path: Path, name: str) -> str | None:
    """The text between the markers, or None when the file has no such block."""
    match = _pattern(name).search(Path(path).read_text())
    return match.group(2) if match else None


def write_block(path: Path, name: str, text: str) -> None:
    """Replace the block's text; the markers must already be in the file."""
    content = Path(path).read_text()
    if not _pattern(name).search(content):
        raise SystemExit(f"{path} has no '<!-- {name}:begin -->' ... ':end -->' block")
    Path(path).write_text(_pattern(name).sub(lambda m: m.group(1) + text + m.group(3), content))
