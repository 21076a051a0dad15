"""A number as an Excel cell shows it through its custom number format.

A workbook stores a number and, apart, the format a cell shows it in; the format may add text of
its own: `"Call 02-3471-"0000` shows 8820 as "Call 02-3471-8820", `000-000-0000` shows 5551234567
as "555-123-4567". Whoever reads only the stored values misses what the reader sees. This covers
what puts text and digits where a reader reads them (literal text, digit placeholders with text
between them, decimals, thousands, percent, sections by sign); a format for dates, times or
scientific notation leaves the stored value as it is, which then reads as stored.

One pass over the format code (at most FORMAT_CODE_MAX characters), one over the value's digits.
"""

from __future__ import annotations

import math
import re

FORMAT_CODE_MAX = 255  # Excel's own limit on a format code
PERCENT_MAX = 3  # "%" signs that scale the number; a format with more shows the value as stored
_PLACEHOLDERS = frozenset("0#?")
# A token of a format section: a quoted literal, an escaped character, a bracketed colour, condition
# or locale ([Red], [>100], [$-409]), a padding (_x) or a fill (*x), or one character.
_TOKEN = re.compile(r'"[^"]*"?|\\.|\[[^\]]*\]?|_.|\*.|.', re.DOTALL)
# Letters that make a section a date, a time or scientific notation when they stand unquoted.
_NOT_A_NUMBER = re.compile(r"[yYmMdDhHsSeEbBgG]")


def _tokens(section: str) -> list[str]:
    """The section's characters as shown: placeholders, ".", ",", "%" and "@" as themselves,
    everything else as the literal text it shows ("" for colours, conditions and fills)."""
    shown = []
    for token in _TOKEN.findall(section):
        if token.startswith('"'):
            shown.append(token[1:].removesuffix('"'))
        elif token.startswith("\\"):
            shown.append(token[1:])
        elif token.startswith("_"):
            shown.append(" ")
        elif token.startswith(("[", "*")):
            continue
        else:
            shown.append(token)
    return shown


def _section(code: str, value: float) -> tuple[str, str]:
    """The section of `code` that shows `value` (positive; negative; zero; text), and the sign
    shown before it: a negative number shown by the first section keeps its minus sign, one shown
    by a section of its own shows what that section says."""
    parts, current = [], []
    for piece in _TOKEN.findall(code):  # split at unquoted semicolons: pieces keep quoted ones whole
        if piece == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(piece)
    parts.append("".join(current))
    if value < 0:
        return (parts[1], "") if len(parts) > 1 else (parts[0], "-")
    if value == 0 and len(parts) > 2:
        return parts[2], ""
    return parts[0], ""


def formatted(value: str, code: str) -> str:
    """`value` (a cell's stored number) shown through the format `code`; `value` unchanged when it
    is no number or the format is no number format this reads."""
    if not code or len(code) > FORMAT_CODE_MAX or code.lower() == "general":
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    section, sign = _section(code, number)
    shown = _tokens(section)
    if any(_NOT_A_NUMBER.search(token) for token in shown if len(token) == 1) or "@" in shown:
        return value
    if not any(token in _PLACEHOLDERS for token in shown):
        return "".join(shown)  # a section of text alone shows that text
    if shown.count("%") > PERCENT_MAX:
        return value
    magnitude = abs(number) * 100 ** shown.count("%")
    point = shown.index(".") if "." in shown else len(shown)
    integer_part, fraction_part = shown[:point], shown[point + 1:]
    decimals = sum(token in _PLACEHOLDERS for token in fraction_part)
    whole, _, fraction = f"{magnitude:.{decimals}f}".partition(".")
    grouped = "," in integer_part[next((i for i, t in enumerate(integer_part) if t in _PLACEHOLDERS), 0):]
    return sign + _integer(integer_part, whole, grouped) + ("." if fraction_part else "") \
        + _fraction(fraction_part, fraction)


def _integer(tokens: list[str], whole: str, grouped: bool) -> str:
    """The integer placeholders filled from the right with the digits of `whole`; digits beyond
    the placeholders go in front of the first one, as Excel puts them. Grouped in thousands, the
    number stands whole at the first placeholder."""
    if grouped:
        text = f"{int(whole):,}"
        first = next(i for i, t in enumerate(tokens) if t in _PLACEHOLDERS)
        kept = [t for i, t in enumerate(tokens) if i < first or (t not in _PLACEHOLDERS and t != ",")]
        return "".join(kept[:first]) + text + "".join(kept[first:])
    digits = list(whole.lstrip("0") or "")
    out: list[str] = []
    placeholders = [i for i, t in enumerate(tokens) if t in _PLACEHOLDERS]
    for index in reversed(range(len(tokens))):
        shown = tokens[index]
        if shown not in _PLACEHOLDERS:
            out.append("" if shown == "," else shown)
            continue
        if digits:
            out.append(digits.pop())
            if index == placeholders[0] and digits:
                out.append("".join(digits))
                digits = []
        else:
            out.append({"0": "0", "#": "", "?": " "}[shown])
    return "".join(reversed(out))


def _fraction(tokens: list[str], fraction: str) -> str:
    digits = iter(fraction)
    return "".join(next(digits, "0") if token in _PLACEHOLDERS else token for token in tokens)
