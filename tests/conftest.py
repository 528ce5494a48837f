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


@pytest.fixture(scope="module")
def ros(tmp_path_factory):
    """An rclpy context isolated per module (own domain id, localhost discovery, temp log dir)."""
    rclpy = pytest.importorskip("rclpy", reason="ROS 2 wheels not installed (scripts/setup.sh)")
    from spic_ros.testing import isolated_ros_env

    isolated_ros_env(tmp_path_factory.mktemp("ros_log"))
    rclpy.init()
    yield
    rclpy.try_shutdown()
