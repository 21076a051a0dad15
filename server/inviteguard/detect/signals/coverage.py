"""How much of the message was read: a note, never weighed (rules/signals.yaml `notes`).

Hostile input is read within bounds (detect/parse.py, detect/view.py): a very long text keeps its
head and tail, and parts, events and attachments beyond the limits are left out. A verdict on what
was read must say so, or padding would make "clean" mean more than it does.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Evidence, TextBlock
from .reading import Reading

NOTED_MAX = 10  # places and problems named; a message cannot make the note grow without bound


def _place(block: TextBlock) -> str:
    """A place id as the banner texts name places, with an attachment's file name."""
    return f"{block.source} {block.name}" if block.source == "attachment" and block.name else block.source


def partly_read(reading: Reading) -> Iterable[Evidence]:
    """reading.partly_read: the middle of a text left out, or a part the parser could not read."""
    message = reading.message
    middles = tuple(dict.fromkeys(_place(b) for b in message.texts if b.truncated))[:NOTED_MAX]
    problems = tuple(dict.fromkeys(message.problems))[:NOTED_MAX]
    if middles or problems:
        yield Evidence("reading.partly_read", {"unread_middle": middles, "not_read": problems})
