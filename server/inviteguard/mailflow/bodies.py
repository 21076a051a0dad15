"""The banner in the message itself: prepended to the first text/html and text/plain body, exactly once.

The banner's words are the awareness team's (banner.render, organisation's default language); here
they become a mail-safe block: a table with inline styles for HTML (mail clients drop <style> and
classes), a few plain lines for text. Each block carries a tag, an HMAC of its content keyed with
the stamp secret, between markers. A message coming round again (a second relay, a loop, a reply
quoting it) has every tagged block removed before it is analysed and bannered afresh, so a reader
sees one banner, and the analysis never reads our own warning as the sender's words. A block whose
tag does not verify is the sender's text and stays: a sender gains nothing by copying a marker.

Calendar parts, attachments and forwarded messages (message/rfc822) are never touched. A part whose
charset we cannot decode is left as it is. Changing a body breaks DKIM body hashes downstream; the
README says what that means.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import quopri
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32

from markupsafe import escape

MAX_PARTS = 1000  # the same bound as INVITEGUARD_MAX_MIME_PARTS' default; mail past it is not bannered
MAX_BANNER_LINES = 80
TAG_HEX = 16
TEXT_OPEN = "[InviteGuard] "
_TEXT_CLOSE = re.compile(r"^-- InviteGuard ([0-9a-f]{16}) --$")
HTML_OPEN = "<!--inviteguard-banner "
HTML_CLOSE = "<!--/inviteguard-banner-->"
WRAP = 76
_POLICY = compat32.clone(linesep="\r\n", max_line_length=0)  # CRLF out, header folding left as it came
_COLOURS = {"danger": ("#fdecea", "#b3261e", "#410e0b"), "warning": ("#fff4e5", "#9a5b00", "#3d2600")}
TRANSFER_ENCODINGS = ("7bit", "8bit", "binary", "base64", "quoted-printable")


@dataclass(frozen=True)
class BodyBanner:
    level: str  # danger | warning
    title: str  # plain text, rendered from the awareness team's templates
    text: str  # plain text; one line per paragraph and reason
    locale: str


def tag(key: bytes, kind: str, content: str) -> str:
    mac = hmac.new(key, f"inviteguard-banner-v1\n{kind}\n{content}".encode("utf-8", "surrogateescape"),
                   hashlib.sha256)
    return mac.hexdigest()[:TAG_HEX]


def banner_key(secret: str) -> bytes:
    """A key of its own for banner tags, derived from the stamp secret."""
    return hmac.new(secret.encode("utf-8"), b"inviteguard-banner-key", hashlib.sha256).digest()


# ------------------------------------------------------------------ the blocks

def text_lines(banner: BodyBanner) -> list[str]:
    lines = [TEXT_OPEN + banner.title]
    for paragraph in banner.text.splitlines():
        lines += textwrap.wrap(paragraph, WRAP, break_long_words=False, break_on_hyphens=False) or [""]
    return [line.rstrip() for line in lines]


def text_block(banner: BodyBanner, key: bytes, newline: str) -> str:
    lines = text_lines(banner)
    return newline.join([*lines, f"-- InviteGuard {tag(key, 'text', chr(10).join(lines))} --", "", ""])


def html_fragment(banner: BodyBanner) -> str:
    """ASCII only (other characters as references), so it reads the same in every charset."""
    background, border, colour = _COLOURS.get(banner.level, _COLOURS["warning"])
    lines = "<br>".join(str(escape(line)) for line in banner.text.splitlines())
    html = (f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
            f'lang="{escape(banner.locale)}" style="border-collapse:collapse;margin:0 0 12px 0">'
            f'<tr><td style="background:{background};border-left:6px solid {border};padding:10px 14px;'
            f'font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;color:{colour}">'
            f'<p style="margin:0 0 4px 0;font-weight:bold;font-size:15px">{escape(banner.title)}</p>'
            f'<p style="margin:0">{lines}</p></td></tr></table>')
    return html.encode("ascii", "xmlcharrefreplace").decode("ascii")


def html_block(banner: BodyBanner, key: bytes) -> str:
    fragment = html_fragment(banner)
    return f"{HTML_OPEN}{tag(key, 'html', fragment)}-->{fragment}{HTML_CLOSE}"


def without_text_banner(text: str, key: bytes) -> str:
    """`text` without a leading tagged banner block (and the empty line after it)."""
    if not text.startswith(TEXT_OPEN):
        return text
    lines = text.splitlines(keepends=True)
    for end, line in enumerate(lines[:MAX_BANNER_LINES]):
        close = _TEXT_CLOSE.match(line.rstrip())
        if close is None:
            continue
        content = "\n".join(previous.rstrip() for previous in lines[:end])
        if not hmac.compare_digest(tag(key, "text", content), close.group(1)):
            return text
        rest = lines[end + 1:]
        if rest and not rest[0].strip():
            rest = rest[1:]
        return "".join(rest)
    return text


def without_html_banner(html: str, key: bytes) -> str:
    start = html.find(HTML_OPEN)
    if start < 0:
        return html
    tag_start = start + len(HTML_OPEN)
    tag_end = tag_start + TAG_HEX
    close = html.find(HTML_CLOSE, tag_end)
    if close < 0 or html[tag_end:tag_end + 3] != "-->":
        return html
    fragment = html[tag_end + 3:close]
    if not hmac.compare_digest(tag(key, "html", fragment), html[tag_start:tag_end]):
        return html
    return html[:start] + html[close + len(HTML_CLOSE):]


def with_html_banner(html: str, block: str) -> str:
    """The block right after the <body> tag, or first when there is none."""
    lowered = html.lower()
    body = lowered.find("<body")
    if body >= 0:
        end = html.find(">", body)
        if end >= 0:
            return html[:end + 1] + block + html[end + 1:]
    return block + html


# ------------------------------------------------------------------ MIME

def parse(raw: bytes) -> Message:
    return message_from_bytes(raw, policy=compat32)


def to_bytes(message: Message) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_POLICY).flatten(message)
    return out.getvalue()


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or part.get_filename() is not None


def body_parts(message: Message) -> list[Message]:
    """The first text/plain and the first text/html a reader sees as the body (depth first)."""
    found: dict[str, Message] = {}
    pending = [message]
    visited = 0
    while pending and visited < MAX_PARTS and len(found) < 2:
        part = pending.pop()
        visited += 1
        kind = part.get_content_type()
        if part.is_multipart():
            if kind.startswith("multipart/"):
                pending.extend(reversed(part.get_payload()))
            continue
        if kind in ("text/plain", "text/html") and kind not in found and not _is_attachment(part):
            found[kind] = part
    return list(found.values())


def _transfer_encoding(part: Message) -> str:
    return (part.get("Content-Transfer-Encoding") or "7bit").strip().lower()


def _text_of(part: Message) -> tuple[str, str] | None:
    """(decoded text, charset), or None when the part cannot be decoded faithfully."""
    if _transfer_encoding(part) not in TRANSFER_ENCODINGS:
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset), charset
    except (LookupError, UnicodeDecodeError):
        return None


def _set_text(part: Message, text: str, charset: str, html: bool) -> None:
    try:
        data = text.encode(charset, "xmlcharrefreplace" if html else "strict")
    except UnicodeEncodeError:
        data = text.encode("utf-8")
        part.set_param("charset", "utf-8")
    cte = _transfer_encoding(part)
    if cte == "base64":
        payload = base64.encodebytes(data).decode("ascii")
    elif cte == "quoted-printable" or (cte == "7bit" and not data.isascii()):
        payload = quopri.encodestring(data.replace(b"\r\n", b"\n")).decode("ascii")
        if cte != "quoted-printable":
            del part["Content-Transfer-Encoding"]
            part["Content-Transfer-Encoding"] = "quoted-printable"
    else:
        payload = data.decode("ascii", "surrogateescape")  # 7bit ASCII, 8bit or binary: the bytes as they are
    part.set_payload(payload)


def _rewrite_bodies(message: Message, rewrite: Callable[[str, bool], str]) -> bool:
    """Applies `rewrite(text, is_html)` to each body part that can be decoded; True when one changed."""
    changed = False
    for part in body_parts(message):
        decoded = _text_of(part)
        if decoded is None:
            continue
        text, charset = decoded
        html = part.get_content_type() == "text/html"
        rewritten = rewrite(text, html)
        if rewritten != text:
            _set_text(part, rewritten, charset, html)
            changed = True
    return changed


def strip_banners(message: Message, key: bytes) -> bool:
    """Removes tagged banners from the body parts; True when one was there."""
    return _rewrite_bodies(message, lambda text, html: without_html_banner(text, key) if html
                           else without_text_banner(text, key))


def add_banner(message: Message, banner: BodyBanner, key: bytes) -> bool:
    """Prepends the banner to the body parts that can take it; True when at least one did."""

    def prepend(text: str, html: bool) -> str:
        if html:
            return with_html_banner(text, html_block(banner, key))
        return text_block(banner, key, "\r\n" if "\r\n" in text else "\n") + text

    return _rewrite_bodies(message, prepend)
