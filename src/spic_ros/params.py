"""Declaring node parameters with descriptors, ranges and validation, and refusing bad ones.

Every parameter has a typed, initialised default (option maps are one string,
``"KEY=VALUE,KEY=VALUE"``, never an empty array), so ``ros2 param dump`` and any
GetParameters request return every value. At start-up :func:`declare` refuses, with one
:class:`ConfigurationError` line, overrides naming no declared parameter (a misspelled
``reconstuctor:=bicubic``), values of the wrong type and values out of range or refused by
a validator.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                SetParametersResult)
from rclpy.node import Node
from rclpy.parameter import Parameter

from spic.registry import Registry

#: A validator returns an error message, or None when the value is acceptable.
Validator = Callable[[Any], "str | None"]

_TYPE_WORDS = {Parameter.Type.BOOL: "a boolean", Parameter.Type.INTEGER: "an integer",
               Parameter.Type.DOUBLE: "a floating-point number (e.g. 1.0)",
               Parameter.Type.STRING: "a string"}


class ConfigurationError(ValueError):
    """A node's configuration is unusable; the message is one line naming what is wrong."""


@dataclass(frozen=True)
class Param:
    """One parameter: default, help text, optional range, validator and read-only flag."""

    name: str
    default: bool | int | float | str
    description: str
    int_range: tuple[int, int] | None = None
    float_range: tuple[float, float] | None = None
    validator: Validator | None = None
    read_only: bool = False

    @property
    def type(self) -> Parameter.Type:
        return Parameter.Type.from_parameter_value(self.default)

    def descriptor(self) -> ParameterDescriptor:
        d = ParameterDescriptor(name=self.name, type=self.type.value,
                                description=self.description, read_only=self.read_only)
        if self.int_range:
            d.integer_range = [IntegerRange(from_value=self.int_range[0],
                                            to_value=self.int_range[1], step=1)]
        if self.float_range:
            d.floating_point_range = [FloatingPointRange(from_value=self.float_range[0],
                                                         to_value=self.float_range[1], step=0.0)]
        return d

    def check(self, value: Any) -> str | None:
        """Why ``value`` is unacceptable (type, range, validator), or None."""
        given = Parameter.Type.from_parameter_value(value)
        if given != self.type:
            return f"expected {_TYPE_WORDS.get(self.type, self.type.name)}, got {value!r}"
        low, high = self.int_range or self.float_range or (None, None)
        if low is not None and not low <= value <= high:
            return f"{value} is out of range [{low}, {high}]"
        return self.validator(value) if self.validator else None


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


def name_list(text: str) -> tuple[str, ...]:
    """``"bpg, webp"`` -> ``("bpg", "webp")``."""
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def codec_names(check_one: Validator) -> Validator:
    """Accept a comma-separated list whose every name passes ``check_one``."""
    def check(value: str) -> str | None:
        return next(filter(None, map(check_one, name_list(value))), None)
    return check


def parse_options(text: str) -> dict[str, Any]:
    """``"threads=2, model=a.onnx"`` -> ``{"threads": 2, "model": "a.onnx"}``; raises
    ValueError on an item without ``=`` or a repeated key."""
    out: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not key:
            raise ValueError(f"expected KEY=VALUE items separated by commas, got {item!r}")
        if key in out:
            raise ValueError(f"option {key!r} given twice")
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


def format_options(options: dict[str, Any]) -> str:
    """The parameter text of an option map (inverse of :func:`parse_options`)."""
    return ",".join(f"{key}={value}" for key, value in options.items())


def key_value_options(value: str) -> str | None:
    try:
        parse_options(value)
    except ValueError as exc:
        return str(exc)
    return None


def defaults(params: list[Param]) -> dict[str, Any]:
    """Default value by name."""
    return {p.name: p.default for p in params}


def declare(node: Node, params: list[Param]) -> dict[str, Any]:
    """Declare ``params`` on ``node`` with a validating set-parameters callback.

    Overrides from the command line, a YAML file or the constructor are checked first, so a
    bad configuration raises :class:`ConfigurationError` (one line) before anything starts.
    Returns the effective values by name.
    """
    by_name = {p.name: p for p in params}
    # rclpy keeps overrides (and its own parameters, e.g. use_sim_time) only in these fields
    overrides = node._parameter_overrides
    _refuse_unknown_overrides(node, overrides, set(by_name) | set(node._parameters))
    for p in params:
        error = p.check(overrides[p.name].value) if p.name in overrides else None
        if error:
            raise ConfigurationError(f"parameter {p.name}: {error}")

    def validate(changes: list[Parameter]) -> SetParametersResult:
        for change in changes:
            param = by_name.get(change.name)
            error = param.check(change.value) if param else None
            if error:
                return SetParametersResult(successful=False, reason=f"{change.name}: {error}")
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(validate)
    return {p.name: node.declare_parameter(p.name, p.default, p.descriptor()).value
            for p in params}


def _refuse_unknown_overrides(node: Node, overrides: dict[str, Parameter],
                              known: set[str]) -> None:
    for name in sorted(set(overrides) - known):
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
        raise ConfigurationError(f"unknown parameter {name!r} for node {node.get_name()} "
                                 f"({hint})")
