"""Declaring node parameters with descriptors, ranges and validation callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                SetParametersResult)
from rclpy.exceptions import ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from spic.registry import Registry

#: A validator returns an error message, or None when the value is acceptable.
Validator = Callable[[Any], "str | None"]


@dataclass(frozen=True)
class Param:
    """One parameter: default, help text, optional range, validator and read-only flag."""

    name: str
    default: Any
    description: str
    int_range: tuple[int, int] | None = None
    float_range: tuple[float, float] | None = None
    validator: Validator | None = None
    read_only: bool = False

    def descriptor(self) -> ParameterDescriptor:
        d = ParameterDescriptor(description=self.description, read_only=self.read_only)
        if self.int_range:
            d.integer_range = [IntegerRange(from_value=self.int_range[0],
                                            to_value=self.int_range[1], step=1)]
        if self.float_range:
            d.floating_point_range = [FloatingPointRange(from_value=self.float_range[0],
                                                         to_value=self.float_range[1], step=0.0)]
        return d


def one_of(registry: Registry, allow_empty: bool = False) -> Validator:
    """Accept names registered in ``registry`` (and "" when ``allow_empty``)."""
    def check(value: str) -> str | None:
        return None if value in registry or (allow_empty and value == "") else (
            f"unknown {registry.kind} {value!r}; known: {', '.join(registry.names())}")
    return check


def choice(*allowed: str) -> Validator:
    def check(value: str) -> str | None:
        return None if value in allowed else f"{value!r} is not one of {', '.join(allowed)}"
    return check


def existing_file_or_empty(value: str) -> str | None:
    return None if not value or Path(value).expanduser().is_file() else f"no such file: {value}"


def topic_name(value: str) -> str | None:
    ok = value == "" or all(part and (part[0].isalpha() or part[0] == "_") and
                            all(c.isalnum() or c == "_" for c in part)
                            for part in value.lstrip("/~").split("/"))
    return None if ok else f"invalid topic name {value!r}"


def key_value_list(value: list[str]) -> str | None:
    bad = [item for item in value if item and "=" not in item]
    return f"expected KEY=VALUE items, got {bad}" if bad else None


def parse_options(items: list[str]) -> dict[str, Any]:
    """``["threads=2", "model=a.onnx"]`` -> ``{"threads": 2, "model": "a.onnx"}`` (empty items
    are ignored: ROS YAML cannot write an empty string array)."""
    out: dict[str, Any] = {}
    for item in filter(None, items):
        key, _, value = item.partition("=")
        out[key.strip()] = int(value) if value.lstrip("-").isdigit() else value
    return out


def declare(node: Node, params: list[Param]) -> dict[str, Any]:
    """Declare ``params`` on ``node`` with a validating set-parameters callback.

    Values from the command line or a YAML file go through the same validators (rclpy runs
    the callbacks on declaration), so a bad configuration fails at start-up with a clear
    message. Returns the effective values by name.
    """
    by_name = {p.name: p for p in params}

    def validate(changes) -> SetParametersResult:
        for change in changes:
            param = by_name.get(change.name)
            if param is None or param.validator is None or change.value is None:
                continue  # undeclared, unvalidated or an uninitialized (empty) array
            error = param.validator(change.value)
            if error:
                return SetParametersResult(successful=False, reason=f"{change.name}: {error}")
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(validate)
    values = {}
    for p in params:
        # An empty list has no type of its own: declare it as a string array.
        default = Parameter.Type.STRING_ARRAY if p.default == [] else p.default
        node.declare_parameter(p.name, default, p.descriptor())
        try:
            values[p.name] = node.get_parameter(p.name).value
        except ParameterUninitializedException:
            values[p.name] = []
    return values
