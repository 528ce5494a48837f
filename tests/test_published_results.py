"""The README's headline table is generated from the committed summary JSON, never typed."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "results" / "scsrdm_modes.json"


def _tool():
    spec = importlib.util.spec_from_file_location("summarize_eval",
                                                  REPO / "tools" / "summarize_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_the_committed_json():
    summary = json.loads(RESULTS.read_text())
    block = re.search(r"<!-- scsrdm-modes:begin -->\n(.*?)<!-- scsrdm-modes:end -->",
                      (REPO / "README.md").read_text(), re.S)
    assert block, "README.md lacks the generated scsrdm-modes block"
    assert block.group(1) == _tool().markdown(summary)


def test_summary_says_what_chose_the_models_and_how_it_was_made():
    summary = json.loads(RESULTS.read_text())
    assert summary["commit"] and summary["command"]
    assert summary["selection"]["split"] == "selection"
    for rows in summary["runs"].values():
        present = [row for row in rows.values() if row is not None]  # not every row has every map
        assert len(present) >= 3
        for row in present:
            assert row["settings"]["split"] == "val" and row["num_frames"] == 101
