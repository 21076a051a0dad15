"""An RTF document's text as a word processor shows it.

RTF is text with control words: `\\'39` is the byte 0x39 ("9") in the document's code page,
`\\u8364?` the character U+20AC with a fallback the reader skips, and groups starting `{\\*`, a font
table or a picture are no text. A number written wholly in escapes ("\\'39\\'33\\'34 ...") is plain
to the reader who opens the file and invisible to a search of its bytes.

One pass over the document with one tokenising pattern, each token bounded: linear in the input
(striprtf's HYPERLINK pattern took 13.8 s on a 32 kB hostile file). Field instructions (a link's
target) are left out; their shown result is read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace

from . import budget

# A control word (letters, an optional numeric parameter, one optional space that ends it), a
# hex-escaped byte, a control symbol, a group's brace, a line end (no text in RTF), or a run of text.
_TOKEN = re.compile(r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|[\r\n]+"
                    r"|([^\\{}\r\n]+)")

# Groups whose content a reader never sees as text.
_HIDDEN_DESTINATIONS = frozenset({
    "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "objdata", "themedata",
    "colorschememapping", "latentstyles", "datastore", "xmlnstbl", "listtable", "listoverridetable",
    "rsidtbl", "generator", "fldinst", "filetbl", "revtbl", "bkmkstart", "bkmkend", "nonshppict"})
# Control words that stand for a character.
_CHARACTERS = {
    "par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "cell": " ", "tab": "\t",
    "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018", "rquote": "\u2019",
    "ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": " ", "enspace": " "}
_SYMBOLS = {"~": "\u00a0", "_": "\u2011", "-": "", "\\": "\\", "{": "{", "}": "}"}
_DEFAULT_CODE_PAGE = "cp1252"
_TOKENS_PER_CHECK = 4096  # how often the analysis's deadline is looked at


@dataclass(frozen=True, slots=True)
class _Group:
    hidden: bool = False  # inside a destination no reader sees
    skip_after_unicode: int = 1  # \ucN: fallback characters after each \uN


def _code_page(number: str | None) -> str:
    name = f"cp{number}"
    try:
        codecs.lookup(name)
    except LookupError:
        return _DEFAULT_CODE_PAGE
    return name


def rtf_text(data: bytes) -> str:
    """The text an RTF document shows, paragraphs on lines of their own."""
    source = data.decode("latin-1")  # RTF is 7-bit; each byte stays one character, escapes are read below
    out: list[str] = []
    pending = bytearray()  # escaped bytes in a row, decoded together (a code page may use two a character)
    code_page = _DEFAULT_CODE_PAGE
    groups = [_Group()]
    skip = 0  # fallback characters still to skip after a \uN
    group_opened = False  # the last token opened a group: a `\*` or a destination word names it

    def flush() -> None:
        if pending:
            out.append(pending.decode(code_page, "replace"))
            pending.clear()

    position = tokens = 0
    while position < len(source):
        tokens += 1
        if not tokens % _TOKENS_PER_CHECK:
            budget.check()
        token = _TOKEN.match(source, position)
        if token is None:  # a lone backslash at the end
            break
        position = token.end()
        word, parameter, escaped, symbol, brace, text = token.groups()
        state = groups[-1]
        opened, group_opened = group_opened, False
        if escaped is not None:
            if skip:
                skip -= 1
            elif not state.hidden:
                pending.append(int(escaped, 16))
            continue
        flush()
        if brace == "{":
            groups.append(state)
            group_opened = True
        elif brace == "}":
            if len(groups) > 1:
                groups.pop()
            skip = 0
        elif symbol is not None:
            if symbol == "*" and opened:
                groups[-1] = replace(state, hidden=True)
            elif not state.hidden:
                out.append(_SYMBOLS.get(symbol, ""))
        elif word is not None:
            if word in _HIDDEN_DESTINATIONS and opened:
                groups[-1] = replace(state, hidden=True)
            elif word == "ansicpg":
                code_page = _code_page(parameter)
            elif word == "uc" and parameter is not None:
                groups[-1] = replace(state, skip_after_unicode=max(0, int(parameter)))
            elif word == "u" and parameter is not None:
                code = int(parameter) % 0x10000  # negative above 32767, as RTF writes 16-bit values
                if not state.hidden:
                    out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code))
                skip = state.skip_after_unicode
            elif word == "bin" and parameter is not None:
                position += max(0, int(parameter))  # raw bytes of a picture or object, no text
            elif not state.hidden:
                out.append(_CHARACTERS.get(word, ""))
        elif text is not None:
            if skip:
                dropped = min(skip, len(text))
                text, skip = text[dropped:], skip - dropped
            if not state.hidden:
                out.append(text)
    flush()
    return "".join(out)
