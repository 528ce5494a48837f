"""Start, spin and cleanly stop one or more nodes in one process."""

from __future__ import annotations

import sys
from typing import Callable

import rclpy
from rclpy.exceptions import InvalidParameterValueException
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.node import Node


def spin_nodes(factories: list[Callable[[], Node]], args: list[str] | None = None) -> int:
    """Create the nodes (ROS arguments from ``args`` or ``sys.argv``) and spin until shutdown.

    One node spins on a single-threaded executor, several share a multi-threaded one
    (composition). A configuration error ends the process with status 1 and a clear
    message; SIGINT/SIGTERM end it with status 0.
    """
    rclpy.init(args=sys.argv if args is None else args)
    nodes: list[Node] = []
    try:
        try:
            nodes = [factory() for factory in factories]
        except (InvalidParameterValueException, ValueError, OSError) as exc:
            sys.stderr.write(f"configuration error: {exc}\n")
            return 1
        executor = MultiThreadedExecutor() if len(nodes) > 1 else SingleThreadedExecutor()
        for node in nodes:
            executor.add_node(node)
        try:
            executor.spin()
        except (KeyboardInterrupt, ExternalShutdownException):
            pass
        return 0
    finally:
        for node in nodes:
            node.destroy_node()
        rclpy.try_shutdown()
