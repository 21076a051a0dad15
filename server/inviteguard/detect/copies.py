"""The key of an exact copy: which raw messages are the same message, known before any parsing.

A list sends one invite to 5,000 people; each copy differs only in the trace fields the mail
servers add for its recipient (Received, Delivered-To, ...). The key is a hash of the raw bytes
without those fields, so every copy finds the answer already given, with no parse at all.

Safe by construction: a field is left out only when it is certainly a header field the way the
stdlib parser (compat32) will read it, and no signal reads it (tests/detect/test_copies.py checks
both). At the first line that is not plainly a header line, or that the parser would split where
this scan does not, the scan stops and the rest is hashed byte for byte. So two messages with one
key differ at most in trace fields, and get the same verdict.
"""

from __future__ import annotations

import hashlib
import re

# Per-recipient trace fields: the servers on the way write them, no signal reads them, and the
# parsed message only keeps them in its raw header list, of which the verdict key takes none.
TRACE_FIELDS = frozenset({b"received", b"x-received", b"delivered-to", b"x-delivered-to",
                          b"x-original-to", b"envelope-to"})
# One line of the header block (without its LF) that the stdlib parser (compat32's feedparser)
# reads exactly as this scan does: a field "Name:" (headerRE: printable ASCII but ':') or a
# continuation, holding none of the characters at which str.splitlines, which the feedparser uses,
# would cut it in two, bar a CR right before the LF. Group 1 is the field name.
_PLAIN_LINE = re.compile(rb"(?:([\041-\071\073-\176]+):|[ \t])[^\r\n\x0b\x0c\x1c\x1d\x1e]*\r?")


def exact_copy_key(raw: bytes) -> str:
    """A hash of `raw` without its per-recipient trace fields; linear in len(raw)."""
    blank = min((at for at in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if at >= 0), default=len(raw))
    kept: list[bytes] = []
    position, dropping, fields = 0, False, False
    for line in raw[:blank].split(b"\n"):
        plain = _PLAIN_LINE.fullmatch(line)
        if plain is None:
            # A line the parser reads otherwise (or the body): from here on every byte is kept. A
            # continuation of a left-out field stays apart from one that continues a kept field.
            if dropping and line.startswith((b" ", b"\t")):
                kept.append(b"\x00trace field continued\x00")
            break
        if plain.group(1) is not None:
            dropping = plain.group(1).lower() in TRACE_FIELDS
            fields = True
        end = position + len(line) + 1  # with its LF (none on a last line without one)
        if not dropping:
            kept.append(raw[position:end])
        position = end
    kept.append(raw[position:])  # empty when the scan ran to the end
    # Whether any header field came first: a message of trace fields alone is still a message with
    # headers, which the parser reads; the same bytes without them it refuses.
    marker = b"rfc822 fields\x00" if fields else b"rfc822 none\x00"
    return hashlib.sha256(marker + b"".join(kept)).hexdigest()[:40]
