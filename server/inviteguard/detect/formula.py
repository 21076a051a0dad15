"""What an Excel formula of constants shows: a workbook saved without its results (no cached
value, recalculated when opened) shows the reader `="+57 "&TEXT(77738^2+32374,"000 000 0000")`
as "+57 604 322 9018", while its file holds only the formula.

Only constants are worked out: text and numbers, `&`, + - * / ^, brackets, and the functions
CONCAT, CONCATENATE, TEXT (through the number formats Excel shows, number_format.py) and CHAR. A
formula that refers to a cell or calls anything else shows nothing here. Bounded: formulas of
MAX_FORMULA_CHARS, numbers that stay finite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from .number_format import formatted

MAX_FORMULA_CHARS = 1_000
MAX_DEPTH = 30  # brackets and calls nested

# A token: text in quotes (a quote doubled inside), a number, a function's name and its bracket,
# an operator or punctuation.
_TOKEN = re.compile(r'\s*(?:("(?:[^"]|"")*")|(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
                    r'|([A-Za-z_][A-Za-z0-9._]{0,30})\s*\(|([&+\-*/^(),;]))')

Value = str | float


class _NotConstant(Exception):
    """The formula is not one of constants this reads."""


def formula_result(formula: str) -> str | None:
    """What the formula shows, or None when it is not one of constants this works out."""
    formula = formula.strip().removeprefix("=")
    if len(formula) > MAX_FORMULA_CHARS:
        return None
    tokens = []
    at = 0
    while at < len(formula):
        found = _TOKEN.match(formula, at)
        if found is None:
            if formula[at:].strip():
                return None
            break
        tokens.append(found)
        at = found.end()
    try:
        parser = _Parser(tokens)
        value = parser.concatenation(0)
        if parser.at != len(tokens):
            return None
        return _text(value)
    except (_NotConstant, OverflowError, ZeroDivisionError, ValueError):
        return None


def _text(value: Value) -> str:
    if isinstance(value, str):
        return value
    if not math.isfinite(value):
        raise _NotConstant
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


def _number(value: Value) -> float:
    return value if isinstance(value, float) else float(value)


def _text_function(value: Value, code: Value) -> str:
    return formatted(_text(value), _text(code))


_FUNCTIONS: dict[str, Callable[..., Value]] = {
    "CONCAT": lambda *values: "".join(map(_text, values)),
    "CONCATENATE": lambda *values: "".join(map(_text, values)),
    "TEXT": _text_function,
    "CHAR": lambda code: chr(int(_number(code))) if 32 <= _number(code) <= 255 else "",
}


class _Parser:
    """Recursive descent in Excel's precedence: & below + -, below * /, below ^, below a sign."""

    def __init__(self, tokens: list[re.Match[str]]) -> None:
        self.tokens = tokens
        self.at = 0

    def _operator(self, *operators: str) -> str | None:
        if self.at < len(self.tokens) and self.tokens[self.at].group(4) in operators:
            self.at += 1
            return self.tokens[self.at - 1].group(4)
        return None

    def concatenation(self, depth: int) -> Value:
        value = self.sum(depth)
        while self._operator("&"):
            value = _text(value) + _text(self.sum(depth))
        return value

    def sum(self, depth: int) -> Value:
        value = self.product(depth)
        while operator := self._operator("+", "-"):
            right = _number(self.product(depth))
            value = _number(value) + right if operator == "+" else _number(value) - right
        return value

    def product(self, depth: int) -> Value:
        value = self.power(depth)
        while operator := self._operator("*", "/"):
            right = _number(self.power(depth))
            value = _number(value) * right if operator == "*" else _number(value) / right
        return value

    def power(self, depth: int) -> Value:
        value = self.signed(depth)
        while self._operator("^"):
            value = math.pow(_number(value), _number(self.signed(depth)))
        return value

    def signed(self, depth: int) -> Value:
        negative = False
        while sign := self._operator("-", "+"):
            negative ^= sign == "-"
        value = self.primary(depth)
        return -_number(value) if negative else value

    def primary(self, depth: int) -> Value:
        if depth > MAX_DEPTH or self.at >= len(self.tokens):
            raise _NotConstant
        token = self.tokens[self.at]
        self.at += 1
        if token.group(1) is not None:
            return token.group(1)[1:-1].replace('""', '"')
        if token.group(2) is not None:
            return float(token.group(2))
        if token.group(3) is not None:
            function = _FUNCTIONS.get(token.group(3).upper().removeprefix("_XLFN."))
            if function is None:
                raise _NotConstant
            arguments = []
            if not self._operator(")"):
                arguments.append(self.concatenation(depth + 1))
                while self._operator(",", ";"):
                    arguments.append(self.concatenation(depth + 1))
                if not self._operator(")"):
                    raise _NotConstant
            try:
                return function(*arguments)
            except TypeError as wrong_arguments:
                raise _NotConstant from wrong_arguments
        if token.group(4) == "(":
            value = self.concatenation(depth + 1)
            if not self._operator(")"):
                raise _NotConstant
            return value
        raise _NotConstant
