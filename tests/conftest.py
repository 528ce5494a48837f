"""Shared fixtures: the read-only ../shared folder beside the checkout (skip when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} not available: {path} is absent (../shared beside the checkout)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _require(SHARED, "shared data")


@pytest.fixture(scope="session")
def camvid_dir() -> Path:
    return _require(SHARED / "data" / "camvid", "CamVid")


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    return _require(SHARED / "golden", "golden codec files")


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return _require(SHARED / "models", "judge/teacher ONNX models")
