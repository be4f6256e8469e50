"""Plain data for JSON: the one conversion behind every `--json`, export and recorded report."""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Any

__all__ = ["jsonable", "nested_deeper_than"]


def jsonable(value: Any) -> Any:
    """`value` made of dicts, lists, strings, numbers, booleans and None (NaN and infinities become None).

    An object with a `to_json()` method gives that; a dataclass, its fields.
    """
    to_json = getattr(value, "to_json", None)
    if callable(to_json) and not isinstance(value, type):
        return jsonable(to_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and dicts nest in `value` more than `limit` levels deep (iterative: data from a learner's
    process can nest 200,000 levels, and each recursive walker after the parse would die of it)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False
