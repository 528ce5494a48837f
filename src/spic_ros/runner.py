"""Start, spin and cleanly stop one or more nodes in one process."""

from __future__ import annotations

import os
import re
import signal
import sys
import tempfile
from contextlib import contextmanager
from typing import IO, Callable, Iterator

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions

from spic_ros.dds_profile import use_default_profile

#: Seconds the executor may take to finish the callbacks in flight when stopping.
EXECUTOR_STOP_TIMEOUT = 2.0
#: Longest wait for work before checking for a shutdown request (the Ctrl-C latency).
SIGNAL_POLL_S = 0.1


class _ShutdownRequest:
    """SIGINT/SIGTERM handler: records that the process should stop. Spinning ends within
    :data:`SIGNAL_POLL_S`; later signals (a supervisor's second SIGINT, launch's SIGTERM)
    change nothing while the nodes shut down."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame) -> None:
        self.requested = True


def spin_nodes(factories: list[Callable[[], Node]], args: list[str] | None = None) -> int:
    """Create the nodes (ROS arguments from ``args`` or ``sys.argv``) and spin until shutdown.

    One node spins on a single-threaded executor, several share a multi-threaded one
    (composition); Fast DDS runs with :func:`~spic_ros.dds_profile.use_default_profile`. A
    configuration error (bad ROS arguments or parameters-file, unknown, mistyped or
    out-of-range parameters, parts that cannot be created, a missing DDS profile) ends the
    process with status 1 and one line on stderr. SIGINT/SIGTERM end it with status 0, however many
    arrive: the context stays valid until the nodes are destroyed (rclpy's own handlers,
    which invalidate it at once, are not installed), so nothing publishes into a dead one.
    """
    try:
        use_default_profile()
    except ValueError as exc:
        return _configuration_error(str(exc))
    request = _ShutdownRequest()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request)
    with tempfile.TemporaryFile("w+") as rcl_output:
        try:
            with _stderr_redirected(rcl_output):  # rcl logs its own copy of a parse error
                rclpy.init(args=sys.argv if args is None else args,
                           signal_handler_options=SignalHandlerOptions.NO)
        except Exception as exc:  # rcl's parser: e.g. a --params-file missing or broken
            where = re.compile(r", at /\S+:\d+")  # rcl's source locations
            return _configuration_error(
                f"cannot parse the ROS arguments: {where.sub('', _first_line(exc))}")
        rcl_output.seek(0)
        sys.stderr.write(rcl_output.read())  # warnings of a successful start are kept
    nodes: list[Node] = []
    executor = None
    try:
        try:
            for factory in factories:
                nodes.append(factory())
        except Exception as exc:  # a parameter or a part the parameters name is unusable
            return _configuration_error(_first_line(exc))
        executor = MultiThreadedExecutor() if len(nodes) > 1 else SingleThreadedExecutor()
        for node in nodes:
            executor.add_node(node)
        while not request.requested:
            executor.spin_once(timeout_sec=SIGNAL_POLL_S)
    except ExternalShutdownException:
        pass
    finally:
        if executor is not None:
            executor.shutdown(timeout_sec=EXECUTOR_STOP_TIMEOUT)
        for node in nodes:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0


@contextmanager
def _stderr_redirected(file: IO[str]) -> Iterator[None]:
    """Send what C libraries write on file descriptor 2 to ``file`` for the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(file.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _first_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if len(exc.args) == 1 else str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def _configuration_error(message: str) -> int:
    sys.stderr.write(f"configuration error: {message}\n")
    return 1
