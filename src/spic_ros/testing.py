"""Helpers for tests and tools that start ROS 2 processes: isolated DDS, process groups.

- :func:`isolated_ros_env` — set ``ROS_DOMAIN_ID`` (unique per run), ``ROS_AUTOMATIC_DISCOVERY_RANGE
  =LOCALHOST`` and a temporary ``ROS_LOG_DIR`` in ``os.environ`` (before ``rclpy.init``), so
  spawned processes inherit them.
- :class:`Process` — a console script started in its own process group, ended by that group.
- :func:`wait_for` — poll a condition with a timeout (discovery, message arrival).
- :func:`write_frame_bag` / :func:`relay_bag` — raw camera frames from ``spic_bag_play`` to
  ``spic_bag_record``, two processes as the console scripts start: what arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from spic_ros.bag_replay import header_stamp_ns, wait_for

__all__ = ["Process", "isolated_ros_env", "relay_bag", "wait_for", "write_frame_bag"]


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
    """A child process in a new session (own process group) with output captured to a file;
    ``env``: variables set in its environment beside this process's."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = Path(log)
        self._out = self.log.open("wb")
        self.popen = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT,
                                      start_new_session=True, env={**os.environ, **(env or {})})

    @classmethod
    def script(cls, name: str, args: list[str], log: Path,
               env: dict[str, str] | None = None) -> "Process":
        """A console script of this venv (``spic_encoder``, ``spic_bag_record``, ...)."""
        return cls([str(Path(sys.executable).parent / name), *args], log, env)

    def output(self) -> str:
        """Everything the process printed so far."""
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def signal(self, signum: int = signal.SIGINT) -> None:
        """Send ``signum`` to the process group (as a terminal's Ctrl-C does)."""
        os.killpg(self.popen.pid, signum)

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


def write_frame_bag(path: Path, topic: str, frames: list[np.ndarray], count: int, fps: float,
                    lead_in_s: float = 1.0) -> list[int]:
    """A bag of ``count`` rgb8 frames (``frames`` cycled) at ``fps``, after one lead-in frame
    ``lead_in_s`` earlier (matching settles meanwhile; it is not measured). Returns the
    header stamps (ns) of the ``count`` timed frames."""
    from spic_ros.bag_io import BagWriter
    from spic_ros.image_conversion import array_to_image

    start = 1_700_000_000_000_000_000
    stamps = [start + int(lead_in_s * 1e9) + round(i * 1e9 / fps) for i in range(count)]
    with BagWriter(path) as writer:
        for i, stamp in enumerate([start, *stamps]):
            msg = array_to_image(frames[i % len(frames)])
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
            writer.write_msg(topic, stamp, msg)
    return stamps


def relay_bag(bag: Path, topic: str, work: Path, qos: str = "sensor_data",
              env: dict[str, str] | None = None, timeout: float = 120.0) -> list[int]:
    """Play ``bag`` with ``spic_bag_play`` into ``spic_bag_record`` over ``qos`` (separate
    processes with ``env``); returns the header stamps (ns) of the messages recorded.
    Raises RuntimeError (with both logs) when a process fails."""
    from spic_ros.bag_io import read_messages

    total = sum(1 for _ in read_messages(bag, [topic]))
    recorded = Path(work) / "recorded"
    recorder = Process.script("spic_bag_record", [
        str(recorded), f"{topic}:sensor_msgs/msg/Image", "--qos", qos, "--count", str(total)],
        Path(work) / "record.log", env)
    player = None
    try:
        if not wait_for(lambda: "recording" in recorder.output() or not recorder.running(), 60):
            raise RuntimeError("spic_bag_record did not start:\n" + recorder.output())
        player = Process.script("spic_bag_play", [
            str(bag), "--qos", qos, "--depth", "5", "--wait-subscribers", "1",
            "--discovery-timeout", "60"], Path(work) / "play.log", env)
        if player.wait(timeout) != 0:
            raise RuntimeError("spic_bag_play failed:\n" + player.output())
        wait_for(lambda: not recorder.running(), 5.0)  # it ends by itself once all arrived
    finally:
        if player is not None:
            player.stop()
        status = recorder.stop()
    if status != 0:
        raise RuntimeError("spic_bag_record failed:\n" + recorder.output())
    return [header_stamp_ns(m.data) for m in read_messages(recorded, [topic])]
