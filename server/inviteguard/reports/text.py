"""Text that reporters and attackers wrote, made safe for where reports go (a mail header, the
SOC's summary, SMTP DATA, a JSON webhook): no lone surrogates, no line breaks where one line is
meant, and line ends SMTP cannot misread.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (NEL among them), the Unicode line and paragraph separators and the
# bidirectional overrides: anything that breaks a line or reorders what a reader sees.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x85")
_BYTE_LINE_END = re.compile(rb"\r\n|\r|\n")


def without_surrogates(text: str) -> str:
    """Lone surrogates (from JSON "\\ud800" escapes, or undecodable header bytes) become U+FFFD,
    so the text can be encoded as UTF-8 anywhere."""
    return _SURROGATES.sub("\ufffd", text)


def one_line(text: str, limit: int) -> str:
    """For a header or a one-line field: controls and line breaks become a space, bounded."""
    return _CONTROLS.sub(" ", without_surrogates(text))[:limit].strip()


def quoted_lines(text: str, limit: int, prefix: str = "> ") -> list[str]:
    """Free text (a reporter's comment) as lines that all start with `prefix`, so it can never
    pass for a line of the summary around it."""
    lines = _LINE_BREAK.split(without_surrogates(text)[:limit])
    return [prefix + _CONTROLS.sub(" ", line).rstrip() for line in lines]


def crlf_line_ends(data: bytes) -> bytes:
    """Every line end CRLF, lone CRs and LFs included: a bare CR before a dot cannot end SMTP
    DATA early on a server that takes it for a line end (SMTP smuggling)."""
    return _BYTE_LINE_END.sub(b"\r\n", data)
