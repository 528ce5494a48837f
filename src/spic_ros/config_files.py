"""Locate the package's config/ YAML files (source checkout or ROS 2 install space)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def config_dir() -> Path:
    """``config/`` of the source checkout, else ``share/spic_ros/config`` of an install."""
    checkout = Path(__file__).resolve().parents[2] / "config"
    if checkout.is_dir():
        return checkout
    prefixes = [p for p in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep) if p]
    for prefix in prefixes + [sys.prefix]:
        installed = Path(prefix) / "share" / "spic_ros" / "config"
        if installed.is_dir():
            return installed
    raise FileNotFoundError("spic_ros config/ not found in the checkout or any install prefix")


def config_file(name: str) -> Path:
    """Path of ``config/<name>`` (e.g. ``encoder.yaml``); raises FileNotFoundError."""
    path = config_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"no config file {path}")
    return path
