"""Helpers for tests and tools that start ROS 2 processes: isolated DDS, process groups.

- :func:`isolated_ros_env` — set ``ROS_DOMAIN_ID`` (unique per run), ``ROS_AUTOMATIC_DISCOVERY_RANGE
  =LOCALHOST`` and a temporary ``ROS_LOG_DIR`` in ``os.environ`` (before ``rclpy.init``), so
  spawned processes inherit them.
- :class:`Process` — a console script started in its own process group, ended by that group.
- :func:`wait_for` — poll a condition with a timeout (discovery, message arrival).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from spic_ros.bag_replay import wait_for

__all__ = ["Process", "isolated_ros_env", "wait_for"]


def isolated_ros_env(log_dir: str | Path | None = None) -> dict[str, str]:
    """Configure this process (and its children) for a private, host-local DDS domain.

    The domain id is derived from the process id (1..101: the ids whose DDS ports stay below
    Linux's ephemeral range), so concurrent test runs on one machine are unlikely to meet.
    Returns the variables set.
    """
    env = {
        "ROS_DOMAIN_ID": str(1 + os.getpid() % 101),
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "ROS_LOG_DIR": str(log_dir or tempfile.mkdtemp(prefix="spic_ros_log_")),
        "RCUTILS_COLORIZED_OUTPUT": "0",
    }
    os.environ.update(env)
    return env


class Process:
    """A child process in a new session (own process group) with output captured to a file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = Path(log)
        self._out = self.log.open("wb")
        self.popen = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    @classmethod
    def script(cls, name: str, args: list[str], log: Path) -> "Process":
        """A console script of this venv (``spic_encoder``, ``spic_bag_record``, ...)."""
        return cls([str(Path(sys.executable).parent / name), *args], log)

    def output(self) -> str:
        """Everything the process printed so far."""
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGINT the process group, then SIGKILL it after ``timeout`` s; returns the status."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGINT)
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout)
            except ProcessLookupError:
                pass
        self._out.close()
        return self.popen.returncode
