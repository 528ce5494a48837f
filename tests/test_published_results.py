"""The README's headline tables are generated from the committed summary JSON, never typed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from publish import read_block

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "docs" / "results"


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_the_committed_json():
    summary = json.loads((RESULTS / "scsrdm_modes.json").read_text())
    block = read_block(REPO / "README.md", "scsrdm-modes")
    assert block is not None, "README.md lacks the generated scsrdm-modes block"
    assert block == _tool("summarize_eval").markdown(summary)


def test_summary_says_what_chose_the_models_and_how_it_was_made():
    summary = json.loads((RESULTS / "scsrdm_modes.json").read_text())
    assert summary["commit"] and summary["command"]
    assert summary["selection"]["split"] == "selection"
    for rows in summary["runs"].values():
        present = [row for row in rows.values() if row is not None]  # not every row has every map
        assert len(present) >= 3
        for row in present:
            assert row["settings"]["split"] == "val" and row["num_frames"] == 101


def test_bd_rate_tables_are_the_committed_curves():
    """rd.md and the README's BD-rate block are rd.json's rows; the rows are rd.json's curves."""
    tool = _tool("rd_report")
    report = json.loads((RESULTS / "rd.json").read_text())
    assert report["commit"] and report["command"]
    assert (RESULTS / "rd.md").read_text() == tool.markdown(report["bd"], report["command"])
    assert read_block(REPO / "README.md", "bd-rate") == tool.headline(report["bd"])
    curves = {(c["map"], c["method"]): c for c in report["curves"]}
    assert tool.bd_rows(curves, report["spic"], report["anchors"]) == report["bd"]
    for curve in curves.values():
        assert set(curve["num_frames"]) == {101}
        if curve["method"].startswith("spic"):
            assert len(curve["bpp"]) >= 5  # SPIC is a curve, not a point
