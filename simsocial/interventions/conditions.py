"""Conditions such as `abs(m) >= 0.9 and step > 10`: parsed once, evaluated safely each step.

A condition is a Python expression checked against a whitelist of AST nodes (names, numbers,
comparisons, and/or/not, arithmetic, abs/min/max), never passed to `eval`. Names are the model's
metrics (its DataCollector reporters, summary values and the scenario's custom metrics) plus
`step`. The same language, with string literals, reads agent attributes in custom metrics
(`opinion == 'A'`, simsocial.metrics).

A metric that is NaN (a mean over no agents) is undefined, not a number to compare: a condition
reading it fails like one that divides by zero, since `nan > 0.5` would be silently false forever.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FUNCTIONS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max}

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.Not: operator.not_,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


# A readable condition is a line; deeper or longer text is a mistake or an attack on the parser
# and on the recursive evaluation (a condition nested 5,000 deep would be a RecursionError).
MAX_LENGTH = 1_000
MAX_DEPTH = 50


class ConditionError(ValueError):
    """A condition that is not a safe expression over metrics; the message says why."""


class ConditionFailed(ArithmeticError):
    """A condition that cannot be evaluated on this step's values (division by zero, overflow);
    the schedule turns it into an InterventionError naming the entry and the step."""


@dataclass(frozen=True)
class Condition:
    """A parsed condition; `names` are the metrics it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]

    def holds(self, metrics: Mapping[str, Any]) -> bool:
        """True when the condition holds for these metric values; a metric without a value yet
        (None) makes it False. Arithmetic that fails, or a NaN metric, raises ConditionFailed: a
        condition that divides by zero is broken, not false."""
        value = self.value(metrics)
        return False if value is None else bool(value)

    def value(self, values: Mapping[str, Any]) -> Any:
        """The expression's value, or None when a name it reads has no value (None)."""
        try:
            return _eval(self.tree.body, values)
        except _Missing:
            return None
        except _Undefined as exc:
            raise ConditionFailed(
                f"{exc.args[0]} is NaN (undefined: an aggregate over no agents)"
            ) from None
        except (ArithmeticError, TypeError) as exc:
            shown = ", ".join(f"{n} = {values.get(n)!r}" for n in sorted(self.names))
            reason = "divides by zero" if isinstance(exc, ZeroDivisionError) else str(exc)
            raise ConditionFailed(f"{reason} ({shown})" if shown else reason) from None


class _Missing(Exception):
    """A metric without a value at this step (e.g. None before the first update)."""


class _Undefined(Exception):
    """A metric whose value is NaN: reading it is an error, never a silent False."""


def parse_condition(text: str, *, strings: bool = False) -> Condition:
    """Parse and check a condition; ConditionError says what is not allowed, and where.
    `strings` admits string literals (agent expressions compare labels: `opinion == 'A'`)."""
    if not text.strip():
        raise ConditionError("is empty; write a condition such as `m > 0.5`")
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ConditionError(f"is not a valid expression ({exc.msg}): {shown!r}") from None
    except (RecursionError, MemoryError):
        raise ConditionError(
            f"is nested too deeply; at most {MAX_DEPTH} levels are allowed"
        ) from None
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise ConditionError(f"is nested {depth} levels deep; at most {MAX_DEPTH} are allowed")
    names: set[str] = set()
    for node in ast.walk(tree):
        _check(node, names, strings)
    return Condition(text, tree, frozenset(names))


def _depth(tree: ast.AST) -> int:
    """How deep the syntax tree goes, counted without recursion."""
    deepest, todo = 0, [(tree, 1)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        todo.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _check(node: ast.AST, names: set[str], strings: bool) -> None:
    allowed = (
        ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.BinOp, ast.Compare,
        ast.Load, *_BINARY, *_COMPARE, *_UNARY,
    )  # fmt: skip
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float) or (strings and isinstance(node.value, str)):
            return
        allowed_here = "numbers, 'text'" if strings else "numbers"
        raise ConditionError(f"only {allowed_here} and true/false are allowed, got {node.value!r}")
    if isinstance(node, ast.Name):
        if node.id not in FUNCTIONS:
            names.add(node.id)
        return
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS or node.keywords:
            shown = ast.unparse(func)
            raise ConditionError(f"calls {shown}(); only abs(), min() and max() are allowed")
        if func.id == "abs" and len(node.args) != 1:
            raise ConditionError("abs() takes exactly one argument")
        if func.id != "abs" and len(node.args) < 2:
            raise ConditionError(f"{func.id}() needs at least two arguments")
        return
    if not isinstance(node, allowed):
        raise ConditionError(
            f"'{ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__}' is "
            "not allowed; use metric names, numbers, comparisons, and/or/not, + - * / and "
            "abs/min/max"
        )


def _eval(node: ast.expr, metrics: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        value = metrics.get(node.id)
        if value is None:
            raise _Missing(node.id)
        if isinstance(value, float) and math.isnan(value):
            raise _Undefined(node.id)
        return value
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, metrics) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, metrics))
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, metrics), _eval(node.right, metrics))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, metrics)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = _eval(right_node, metrics)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return FUNCTIONS[node.func.id](*(_eval(a, metrics) for a in node.args))
    raise ConditionError(f"cannot evaluate {ast.unparse(node)}")
