"""Shared fixtures: the read-only ../shared folder beside the checkout (skip when absent).

Under ``CI=true`` nothing may skip: a missing ``../shared``, npm package, ROS wheel, built
message or optional module is a failure there (see :func:`pytest_runtest_makereport`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

STRICT = os.environ.get("CI") == "true"


def _strict(report, what: str) -> None:
    """Turn a skip into a failure under ``CI=true``, keeping the reason."""
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"{what} skipped under CI=true (a missing dependency fails): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _strict(outcome.get_result(), item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _strict(outcome.get_result(), collector.nodeid)

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
    """An rclpy context isolated per module (own domain id, localhost discovery, temp log dir),
    with the Fast DDS profile the console scripts use, as a camera driver beside them would."""
    rclpy = pytest.importorskip("rclpy", reason="ROS 2 wheels not installed (scripts/setup.sh)")
    from spic_ros.dds_profile import use_default_profile
    from spic_ros.testing import isolated_ros_env

    isolated_ros_env(tmp_path_factory.mktemp("ros_log"))
    use_default_profile()
    rclpy.init()
    yield
    rclpy.try_shutdown()
