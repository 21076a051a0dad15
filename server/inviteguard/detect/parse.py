"""Turn whatever a client can give us into one ParsedMessage.

Three inputs: a raw RFC 5322 message, a bare .ics file, and the Outlook add-in's parts (header
block + body + optional ICS + item fields). Parsing uses the stdlib `email` package with
`compat32` (about ten times cheaper than `policy.default` for an invite) and decodes only the
headers we use. Every text a reader sees goes through view.py and lands in `ParsedMessage.texts`:
every alternative of the body, the calendar's notes (plain and HTML), title, location and
organiser, attachments. Nothing here raises on malformed input except InputError for input that
is not a message at all; everything else that cannot be read is recorded in `problems`. Limits
apply to decoded content (a base64 calendar counts its events after decoding), and loops over
input check the analysis budget.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email
import html
import io
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.errors import CharsetError, HeaderParseError
from email.header import Header, decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from functools import lru_cache
from typing import Any, Literal

import icalendar
from icalendar.parser import unescape_backslash

from . import budget
from .archive import unpacked
from .model import (
    Address,
    AttachedFile,
    Attendee,
    AuthResult,
    Invite,
    OutlookItem,
    ParsedMessage,
    TextBlock,
    TextSource,
)
from .office import OPEN_DOCUMENT, PRESENTATION, WORD_DOCUMENT, document_text, workbook_text
from .pdf import annotation_text, is_scanned, page_pictures, page_text
from .picture import (
    MAX_PIXELS,
    MAX_SIDE,
    PICTURE_SECONDS,
    drawn_together,
    is_picture,
    picture_text,
    turned,
    worth_reading,
)
from .rtf import rtf_text
from .view import (
    EMBEDDED_FONTS_READ,
    RenderedHTML,
    Turn,
    canonical,
    canonical_line,
    data_pictures,
    disguised_numbers,
    embedded_fonts,
    link_target,
    pictures_together,
    plain_links,
    render_html,
    svg_text,
    turned_pictures,
)
from .webfont import font_sample, swapped

# Bounds that keep hostile input cheap; beyond them we read a prefix and say so in `problems`.
MAX_PARTS = 200
MAX_EVENTS = 20
MAX_ATTACHMENT_BYTES = 2_000_000
MAX_DOCUMENTS = 8  # PDF and office (Word, Excel, OpenDocument, RTF) attachments whose text is extracted
MAX_TEXT_ATTACHMENTS = 20
MAX_FILE_NAMES = 20  # attachment names read as text, in the order the parts come
MAX_PDF_PAGES = 5
# Pictures read (OCR and codes, about 0.2 s each), and the seconds all of one message's may take.
MAX_PICTURES = 4
MESSAGE_PICTURE_SECONDS = 6.0

CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics"}
AUTH_METHODS = {"spf", "dkim", "dmarc", "compauth", "arc"}


@dataclass(frozen=True)
class CalendarLimits:
    """How large a calendar may be, counted in its decoded bytes (base64 hides nothing from it):
    BEGIN: lines (components) and content lines. The service passes its configured limits."""

    components: int = 500
    lines: int = 20_000


DEFAULT_CALENDAR_LIMITS = CalendarLimits()


class InputError(ValueError):
    """The input is not a message we can read at all. `code` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------- headers

def _eight_bit_text(header: Header) -> str:
    """A header written in raw 8-bit bytes (RFC 6532 UTF-8 headers, or a legacy client's Latin
    text) as its writer meant it: compat32 keeps such bytes as an "unknown-8bit" chunk, which str()
    turns into replacement characters, so a subject in Hebrew or Cyrillic would read as nothing."""
    texts = []
    for data, charset in decode_header(header):
        if isinstance(data, str):
            texts.append(data)
        elif charset in (None, "unknown-8bit"):
            try:
                texts.append(data.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(data.decode("cp1252", errors="replace"))
        else:
            texts.append(data.decode(charset, errors="replace"))
    return "".join(texts)


def decode_header_value(value: object) -> str:
    """RFC 2047-decode one header value, in canonical one-line form; broken charsets degrade to
    replacement characters."""
    if value is None:
        return ""
    try:
        text = _eight_bit_text(value) if isinstance(value, Header) else str(value)
    except (LookupError, UnicodeError, ValueError, HeaderParseError):
        text = str(value)
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except (LookupError, UnicodeError, ValueError, AssertionError, HeaderParseError, CharsetError):
            pass
    return canonical_line(text)


def _address(value: str) -> Address | None:
    if not value:
        return None
    name, addr = parseaddr(value)
    if not name and not addr:
        return None
    return Address(decode_header_value(_name_as_shown(value, name)), addr.strip().lower())


def _name_as_shown(value: str, parsed: str) -> str:
    """The display name in the order it is written. parseaddr moves a parenthesised part to the
    end as an RFC 5322 comment ("Help Desk (+1 808) 555-0199" becomes "Help Desk 555-0199 (+1
    808)"), which scrambles a number a mail client shows as written."""
    shown = value.strip()
    opening = shown.rfind("<")
    if "(" not in parsed or not shown.endswith(">") or opening < 0:
        return parsed
    written = shown[:opening].strip()
    if "<" in written or ">" in written:
        return parsed
    if len(written) >= 2 and written[0] == written[-1] == '"':
        written = written[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return written or parsed


def _addresses(values: list[str]) -> tuple[Address, ...]:
    pairs = getaddresses([decode_header_value(v) for v in values])
    return tuple(Address(name, addr.strip().lower()) for name, addr in pairs if addr)


# Comments in Authentication-Results never nest in practice; removing them first keeps the
# property scan simple and linear.
_COMMENT = re.compile(r"\([^()]*\)")
_METHOD_RESULT = re.compile(r"^\s*([a-z]+)\s*=\s*([a-z]+)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(smtp\.mailfrom|smtp\.helo|header\.d|header\.i|header\.from)\s*=\s*([^\s;]+)",
                       re.IGNORECASE)
_ARC_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;", re.IGNORECASE)


def _domain_of(value: str) -> str:
    value = value.strip().strip('"<>').lower()
    return value.rpartition("@")[2] if "@" in value else value


def parse_auth_results(value: str, header: str) -> tuple[AuthResult, ...]:
    """Results of one Authentication-Results / ARC-Authentication-Results value.

    Handles RFC 8601 (`authserv-id; spf=pass smtp.mailfrom=...`) and Microsoft's dialect, which
    omits the authserv-id and adds `compauth=pass reason=100`.
    """
    instance = 0
    match = _ARC_INSTANCE.match(value)
    if match:
        instance = int(match.group(1))
        value = value[match.end():]
    value = _COMMENT.sub(" ", value)
    results: list[AuthResult] = []
    header_from = ""
    for segment in value.split(";"):
        head = _METHOD_RESULT.match(segment)
        if not head or head.group(1).lower() not in AUTH_METHODS:
            continue
        props = {k.lower(): _domain_of(v) for k, v in _PROPERTY.findall(segment)}
        method = head.group(1).lower()
        if method == "spf":
            domain = props.get("smtp.mailfrom") or props.get("smtp.helo", "")
        elif method == "dkim":
            domain = props.get("header.d") or props.get("header.i", "")
        else:
            domain = props.get("header.from", "")
        header_from = props.get("header.from", header_from)
        results.append(AuthResult(method, head.group(2).lower(), domain, header, instance))
    # compauth speaks for the From domain, which Microsoft puts on the dmarc clause.
    return tuple(r if r.domain or r.method != "compauth" else
                 AuthResult(r.method, r.result, header_from, r.header, r.instance) for r in results)


def _authserv_id(value: str) -> str:
    first = value.split(";", 1)[0].strip().lower()
    return "" if "=" in first else first


def trusted_auth_results(headers: list[tuple[str, str]]) -> tuple[AuthResult, ...]:
    """Authentication results we may believe.

    A sender can write any Authentication-Results header it likes, so only the topmost one (the
    one our own boundary added) and the ones below it from the same authserv-id count. ARC results
    are kept too: they carry what the first hop saw before a list rewrote the message; signals
    weigh them as such.
    """
    auth_values = [v for k, v in headers if k == "authentication-results"]
    trusted: list[AuthResult] = []
    if auth_values:
        top_id = _authserv_id(auth_values[0])
        for value in auth_values:
            if value is auth_values[0] or (top_id and _authserv_id(value) == top_id):
                trusted.extend(parse_auth_results(value, "authentication-results"))
    for key, value in headers:
        if key == "arc-authentication-results":
            trusted.extend(parse_auth_results(value, "arc-authentication-results"))
    return tuple(trusted)


_DKIM_D = re.compile(r"(?:^|;)\s*d\s*=\s*([^\s;]+)", re.IGNORECASE)


def dkim_signing_domains(headers: list[tuple[str, str]]) -> tuple[str, ...]:
    domains = []
    for key, value in headers:
        if key == "dkim-signature":
            match = _DKIM_D.search(value)
            if match:
                domains.append(match.group(1).lower())
    return tuple(domains)


def _header_pairs(msg: Message) -> list[tuple[str, str]]:
    pairs = []
    for key, value in msg.items():
        pairs.append((key.lower(), decode_header_value(value)))
    return pairs


# ---------------------------------------------------------------- bodies

def _payload_bytes(part: Message, problems: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        data = None
    if data is None:
        raw = part.get_payload()
        data = raw.encode("utf-8", "replace") if isinstance(raw, str) else b""
        problems.append(f"a {part.get_content_type()} part could not be decoded")
    return data if isinstance(data, bytes) else b""


def _decode_text(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8", "cp1252"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, ValueError):  # ValueError: a charset name with NUL in it, or undecodable bytes
            continue
    return data.decode("utf-8", "replace")


def _part_text(part: Message, problems: list[str]) -> str:
    return _decode_text(_payload_bytes(part, problems), part.get_content_charset())


def _walk(msg: Message, problems: list[str], depth: int = 0) -> Iterator[Message]:
    """The message's parts, an opaque-signed S/MIME part's as its own (see `_signed_entity`)."""
    count = 0
    for part in msg.walk():
        count += 1
        budget.check()
        if count > MAX_PARTS:
            problems.append(f"only the first {MAX_PARTS} MIME parts were read")
            return
        inside = _signed_entity(part, problems) if depth < MAX_SIGNED_DEPTH else None
        if inside is not None:
            yield from _walk(inside, problems, depth + 1)
        else:
            yield part


# Opaque-signed S/MIME (RFC 8551): the whole message, text and attachments, is inside the CMS
# signed-data of one application/pkcs7-mime part. Outlook, Apple Mail and Thunderbird show what it
# holds; a reader sees it as any other message. Enveloped (encrypted) data is for its recipient's
# key alone and stays unread.
SIGNED_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
MAX_SIGNED_DEPTH = 3  # signed inside signed (a list re-signing a signed post), no deeper
_UNREADABLE_SIGNED = "an S/MIME signed part could not be read"


def _signed_entity(part: Message, problems: list[str]) -> Message | None:
    """The MIME entity an opaque-signed part carries, parsed; None for any other part."""
    if part.is_multipart() or part.get_content_type() not in SIGNED_TYPES or (
            str(part.get_param("smime-type") or "signed-data").lower() != "signed-data"):
        return None
    # Imported lazily: few messages are signed, and asn1crypto's CMS definitions are not free.
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(_payload_bytes(part, problems)[:MAX_ATTACHMENT_BYTES])
        if info["content_type"].native != "signed_data":
            return None
        content = info["content"]["encap_content_info"]["content"].native
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
            RecursionError):  # what asn1crypto raises on a hostile blob
        content = None
    if not isinstance(content, bytes):
        if _UNREADABLE_SIGNED not in problems:
            problems.append(_UNREADABLE_SIGNED)
        return None
    return email.message_from_bytes(content, policy=policy.compat32)


# ---------------------------------------------------------------- attachments

_UNREADABLE_PDF = "a PDF attachment could not be read"
# pypdf logs what it finds wrong with a file as a warning; the files are an attacker's to make,
# so the service's log would be theirs to fill. What the reader needs is said as a problem. Set
# once, at import: the logger exists before pypdf (imported lazily) is.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def _pdf_text(data: bytes, problems: list[str]) -> tuple[str, list[bytes]]:
    """A PDF's text, and the pictures of its scanned pages (pdf.is_scanned) for the picture reader."""
    # Imported lazily: most messages carry no PDF and pypdf's import is not free.
    import pypdf
    from pypdf.errors import PyPdfError

    texts: list[str] = []
    scans: list[bytes] = []
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        for page in reader.pages[:MAX_PDF_PAGES]:
            budget.check()
            texts.append(page_text(page))
            if is_scanned(texts[-1]) and len(scans) < MAX_PICTURES:
                scans += page_pictures(page, MAX_SIDE, MAX_PIXELS)
            if notes := annotation_text(page):
                texts.append(notes)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError, AttributeError,
            IndexError, AssertionError, ZeroDivisionError):
        if _UNREADABLE_PDF not in problems:
            problems.append(_UNREADABLE_PDF)
    return "\n".join(texts), scans


def _pdf_document(data: bytes, problems: list[str], extraction: _Extraction) -> tuple[str, bool]:
    """(canonical text, truncated) of a PDF as a reader sees it: its pages' text and what the
    pictures of its scanned pages say, read as pictures are (within the message's bounds on them)."""
    text, scans = _pdf_text(data[:MAX_ATTACHMENT_BYTES], problems)
    drawn = [_picture_words(scan, problems, extraction) for scan in scans]
    return canonical("\n".join([text, *(words for words in drawn if words)]))


class _Extraction(Counter[str]):
    """How many attachments of each family this message has had read so far (bounded), and the
    milliseconds its pictures took ("picture_ms"); `said`, what the message says beside its
    attachments, asked for only when an archive's file is locked."""

    def __init__(self, said: Callable[[], str] = str) -> None:
        super().__init__()
        self.said = said


# A password as the message gives it: a run of letters, digits and signs, quotes and the
# sentence's punctuation around it left out.
_PASSWORD = re.compile("[^\\s\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e()\\[\\]<>]{3,64}")
_SENTENCE_ENDS = ".,;:!?"


def _password_candidates(said: str) -> list[str]:
    """The words a message says that may be the password it gives for a locked file, as written
    and without a sentence's last punctuation, in the order said."""
    words = (word for found in _PASSWORD.finditer(said)
             for word in (found.group(), found.group().rstrip(_SENTENCE_ENDS)))
    return list(dict.fromkeys(word for word in words if len(word) >= 3))


AttachmentKind = Literal["pdf", "docx", "pptx", "xlsx", "odf", "rtf", "html", "svg", "picture", "text", "card",
                         "archive"]
# An attached message: the Outlook add-in sends an item attachment (Outlook hands it over as an
# .eml) with this type; in a whole message it is a MIME container whose parts are read.
MESSAGE_TYPE = "message/rfc822"


ARCHIVE_TYPES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-tar", "application/gzip",
                           "application/x-gzip", "application/x-compressed-tar", "application/x-bzip2",
                           "application/x-xz"})
ARCHIVE_ENDINGS = (".zip", ".tar", ".tgz", ".gz", ".tbz2", ".bz2", ".txz", ".xz")


def attachment_kind(content_type: str, name: str) -> AttachmentKind | None:
    """The kind of document a reader can open and we read: PDF, Word, PowerPoint, Excel, OpenDocument, RTF,
    HTML, an SVG picture (its words are text), a PNG, JPEG, GIF or WebP picture (its words and
    codes are read), plain text, a contact card, an archive (a ZIP, a tar or a compressed file:
    the files in it of those kinds); None for the rest."""
    ctype, lower = content_type.lower(), name.lower()
    if ctype == "application/pdf" or lower.endswith(".pdf"):
        return "pdf"
    if lower.endswith(".docx") or ctype.endswith("wordprocessingml.document"):
        return "docx"
    if lower.endswith((".xlsx", ".xlsm")) or ctype.endswith(("spreadsheetml.sheet", "sheet.macroenabled.12")):
        return "xlsx"
    if lower.endswith(".pptx") or ctype.endswith("presentationml.presentation"):
        return "pptx"
    if lower.endswith((".odt", ".ods", ".odp")) or ctype.startswith("application/vnd.oasis.opendocument."):
        return "odf"
    if lower.endswith(".rtf") or ctype in ("application/rtf", "text/rtf", "application/x-rtf", "text/richtext"):
        return "rtf"
    if ctype == "text/html" or lower.endswith((".html", ".htm")):
        return "html"
    if ctype == "image/svg+xml" or lower.endswith(".svg"):
        return "svg"
    if is_picture(ctype, lower):
        return "picture"
    if ctype == "text/plain" or lower.endswith(".txt"):
        return "text"
    if ctype in ("text/vcard", "text/x-vcard", "text/directory") or lower.endswith((".vcf", ".vcard")):
        return "card"
    if ctype in ARCHIVE_TYPES or lower.endswith(ARCHIVE_ENDINGS):
        return "archive"
    return None


# Per family of attachments: how many one message reads, and its name in the problem said past that.
_READ_AT_MOST = {"documents": (MAX_DOCUMENTS, "PDF and office attachments"),
                 "pictures": (MAX_PICTURES, "pictures"), "texts": (MAX_TEXT_ATTACHMENTS, "text attachments")}


def _counted(kind: AttachmentKind, problems: list[str], extraction: _Extraction) -> bool:
    """Whether this attachment is still within the bounds of what one message has read."""
    family = "documents" if kind in ("pdf", "docx", "pptx", "xlsx", "odf", "rtf", "archive") else \
        "pictures" if kind == "picture" else "texts"
    most, named = _READ_AT_MOST[family]
    extraction[family] += 1
    if extraction[family] == most + 1:
        problems.append(f"only the first {most} {named} were read")
    return extraction[family] <= most


def _said(problems: list[str], found: list[str]) -> None:
    problems.extend(problem for problem in dict.fromkeys(found) if problem not in problems)


def _picture_text(data: bytes, problems: list[str], extraction: _Extraction) -> tuple[str, bool]:
    """(canonical text, truncated) of a picture (`_picture_words`)."""
    return canonical(_picture_words(data, problems, extraction))


def _picture_words(data: bytes, problems: list[str], extraction: _Extraction) -> str:
    """The words of a picture, whole (a picture cut short shows nothing), within the seconds left
    to this message's pictures and to the analysis. Only a picture worth reading counts against
    the bound: a row of tracking pixels cannot push a lure's picture out of it."""
    worth = worth_reading(data)
    if isinstance(worth, str):
        _said(problems, [worth])
    if worth is not True or not _counted("picture", problems, extraction):
        return ""
    seconds = min(PICTURE_SECONDS, MESSAGE_PICTURE_SECONDS - extraction["picture_ms"] / 1000, budget.remaining())
    if seconds <= 0:
        _said(problems, [f"pictures past {MESSAGE_PICTURE_SECONDS:.0f} s of reading were not read"])
        return ""
    started = time.monotonic()
    text, found = picture_text(data, seconds)
    extraction["picture_ms"] += round((time.monotonic() - started) * 1000)
    _said(problems, found)
    return text


def _document_text(kind: AttachmentKind, data: bytes, charset: str | None,
                   problems: list[str]) -> tuple[str, bool]:
    """(canonical text, truncated) of a document's bytes, read as a reader who opens it sees it."""
    data = data[:MAX_ATTACHMENT_BYTES]
    if kind == "docx":
        return canonical(document_text(data, WORD_DOCUMENT))
    if kind == "pptx":
        return canonical(document_text(data, PRESENTATION))
    if kind == "xlsx":
        return canonical(workbook_text(data))
    if kind == "odf":
        return canonical(document_text(data, OPEN_DOCUMENT))
    if kind == "rtf":
        return canonical(rtf_text(data))
    if kind == "html":
        rendered = render_html(_decode_text(data, charset))
        return rendered.text, rendered.truncated
    if kind == "svg":
        return canonical(svg_text(_decode_text(data, charset)))
    if kind == "card":
        return canonical(_card_text(_decode_text(data, charset)))
    return canonical(_decode_text(data, charset))


def _attachment_blocks(kind: AttachmentKind | None, data: bytes, name: str, charset: str | None,
                       problems: list[str], extraction: _Extraction) -> list[TextBlock]:
    """The text of an attachment a reader can open, a block for it or, for an archive, one for
    each file in it that is read; none when unread. `data` is read only when the kind is."""
    if kind == "picture":
        text, truncated = _picture_text(data, problems, extraction)
    elif kind is None or not _counted(kind, problems, extraction):
        return []
    elif kind == "archive":
        return _archive_blocks(data, name, problems, extraction)
    elif kind == "pdf" or data[:5] == b"%PDF-":
        text, truncated = _pdf_document(data, problems, extraction)
    else:
        text, truncated = _document_text(kind, data, charset, problems)
    return [TextBlock("attachment", text, name, truncated)] if text else []


def _archive_blocks(data: bytes, name: str, problems: list[str], extraction: _Extraction) -> list[TextBlock]:
    """The files of an archive read as attachments of their kinds (within the message's bounds on
    attachments), each named inside the archive ("Factura.zip/Factura.pdf"); a locked file is
    tried with the words the message says, as a reader types the password it gives."""
    files, found = unpacked(data[:MAX_ATTACHMENT_BYTES], name,
                            lambda member: attachment_kind("", member) not in (None, "archive"), MAX_ATTACHMENT_BYTES,
                            lambda: _password_candidates(extraction.said()))
    _said(problems, found)
    return [block for member, content in files
            for block in _attachment_blocks(attachment_kind("", member), content, f"{name}/{member}", None, problems,
                                            extraction)]


# What a contact card shows when the reader opens it; the rest (photo, keys, ids) is not read.
_CARD_FIELDS = frozenset({"FN", "ORG", "TITLE", "TEL", "EMAIL", "NOTE", "URL", "ADR"})


def _card_text(data: str) -> str:
    """A vCard attachment as its contact shows: name, organisation, numbers, note. A number saved
    as a contact ("save us as PayPal Support") is a number to call like one in the text. Its lines
    are content lines, as in a calendar, read with icalendar's parser."""
    shown = []
    for line in icalendar.parser.Contentlines.from_ical(data):
        if not line:
            continue
        try:
            name, _, value = line.parts()
        except ValueError:  # a line that is no content line shows nothing
            continue
        if name.split(".")[-1].upper() in _CARD_FIELDS:
            shown.append(value.replace(";", " "))
    return "\n".join(shown)


# ---------------------------------------------------------------- calendars

def _ical_value(component: icalendar.cal.Component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value)


MAX_ALARMS = 5


def _alarm_texts(event: icalendar.cal.Component) -> list[str]:
    """What the event's reminders say: a calendar shows an alarm's DESCRIPTION as a pop-up, so a
    number there is one the reader sees."""
    alarms = [c for c in event.subcomponents if c.name == "VALARM"][:MAX_ALARMS]
    return [text for alarm in alarms if (text := _ical_value(alarm, "DESCRIPTION"))]


def _ical_text(component: icalendar.cal.Component, name: str) -> str:
    return canonical(_ical_value(component, name))[0]


def _ical_address(value: object) -> Address | None:
    if value is None:
        return None
    addr = str(value)
    if addr.lower().startswith("mailto:"):
        addr = addr[7:]
    params = getattr(value, "params", {})
    name = str(params.get("CN", "")).strip('"')
    return Address(canonical_line(name), addr.strip().lower())


def _dtstart(event: icalendar.cal.Component) -> Any:
    start = event.get("DTSTART")
    if isinstance(start, list):  # a repeated DTSTART: the first counts, as for the other properties
        start = start[0] if start else None
    return start


def _ical_start(event: icalendar.cal.Component) -> str:
    start = _dtstart(event)
    try:
        moment = start.dt if start is not None else None
    except (ValueError, OSError):  # icalendar keeps an unparsable DTSTART and raises when it is read
        return ""
    if not hasattr(moment, "isoformat"):
        return ""
    zone = start.params.get("TZID")
    if zone and isinstance(moment, datetime.datetime):
        # The wall-clock time and the zone's name, as written. Working out the offset of a zone the
        # invite defines runs its VTIMEZONE rules from their first year (10-20 ms for Outlook's
        # zones, which start in 1601): the largest single cost of reading an invite, for display.
        return f"{moment.replace(tzinfo=None).isoformat()} {zone}"
    return moment.isoformat()


def _ical_zone(event: icalendar.cal.Component) -> str:
    return str(getattr(_dtstart(event), "params", {}).get("TZID", "")).strip()


_COMPONENT_START = re.compile(rb"^BEGIN:", re.MULTILINE | re.IGNORECASE)
_LONG_TZID = re.compile(rb";TZID=[^:;\r\n]{%d,}" % 64, re.IGNORECASE)  # zone names are shorter


def _check_calendar_size(data: bytes, limits: CalendarLimits) -> None:
    """Refuses a decoded calendar past the limits before icalendar, which reads all it is given,
    sees it: 150,000 events cost it 22 s and 380 MB."""
    if data.count(b"\n") + 1 > limits.lines:
        raise InputError("calendar_too_large", f"The invite has more than {limits.lines} lines")
    for count, _ in enumerate(_COMPONENT_START.finditer(data), start=1):
        if count > limits.components:
            raise InputError("calendar_too_large", f"The invite has more than {limits.components} components")


def _notes_html(event: icalendar.cal.Component) -> str:
    """X-ALT-DESC;FMTTYPE=text/html: the notes as Outlook shows them, which may differ from the
    plain DESCRIPTION other clients show. icalendar keeps an unknown property's value as written,
    so its TEXT escapes ("\\," for a comma) are undone here, as Outlook undoes them."""
    value = event.get("X-ALT-DESC")
    if value is None:
        return ""
    return render_html(unescape_backslash(str(value[0] if isinstance(value, list) and value else value))).text


def parse_calendar(data: bytes | str, problems: list[str],
                   limits: CalendarLimits = DEFAULT_CALENDAR_LIMITS) -> tuple[Invite, ...]:
    invites, found = _read_calendar(data.encode("utf-8", "replace") if isinstance(data, str) else data, limits)
    problems.extend(found)
    return invites


# Calendars kept, read: the copies a list delivers of one invite (5,000 to a company's staff) carry
# the same calendar, and icalendar's reading of it is the dearest step of parsing such a message.
CALENDARS_KEPT = 4


@lru_cache(maxsize=CALENDARS_KEPT)
def _read_calendar(raw: bytes, limits: CalendarLimits) -> tuple[tuple[Invite, ...], tuple[str, ...]]:
    """The calendar's events (at most MAX_EVENTS) and what could not be read of it."""
    problems: list[str] = []
    _check_calendar_size(raw, limits)
    # icalendar looks every TZID up as a zoneinfo file; one longer than any zone's name only raised
    # "file name too long", and a calendar that cannot be read hides its event's text. Read as UTC.
    raw = _LONG_TZID.sub(b";TZID=UTC", raw)
    try:
        calendar = icalendar.Calendar.from_ical(raw)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, OSError) as exc:
        problems.append(f"the calendar invite could not be read ({type(exc).__name__})")
        return (), tuple(problems)
    method = str(calendar.get("METHOD", "")).upper()
    prodid = str(calendar.get("PRODID", ""))
    invites = []
    events = [c for c in calendar.walk() if c.name in ("VEVENT", "VTODO")]
    for event in events[:MAX_EVENTS]:
        budget.check()
        attendees_raw = event.get("ATTENDEE", [])
        if not isinstance(attendees_raw, list):
            attendees_raw = [attendees_raw]
        attendees = []
        for attendee in attendees_raw[:500]:
            addr = _ical_address(attendee)
            if addr:
                params = getattr(attendee, "params", {})
                attendees.append(Attendee(addr.address, addr.name, str(params.get("ROLE", "")),
                                          str(params.get("PARTSTAT", ""))))
        description = _ical_text(event, "DESCRIPTION")
        notes_html = _notes_html(event)
        link = _ical_value(event, "URL")
        invites.append(Invite(
            method=method,
            prodid=prodid,
            summary=canonical_line(_ical_value(event, "SUMMARY")),
            description=description,
            location=canonical_line(_ical_value(event, "LOCATION")),
            organizer=_ical_address(event.get("ORGANIZER")),
            attendees=tuple(attendees),
            start=_ical_start(event),
            zone=_ical_zone(event),
            notes_html=notes_html if " ".join(notes_html.split()) != " ".join(description.split()) else "",
            # A calendar shows the event's link (URL) and dials a tel: one when it is tapped.
            comment=canonical(" ".join([*(_ical_value(event, name) for name in ("COMMENT", "CONTACT")),
                                        link_target(link), *_alarm_texts(event)]))[0],
            conference=_ical_value(event, "X-GOOGLE-CONFERENCE") or link,
            attested_conference=next((v for name in ATTESTED_CONFERENCE if (v := _ical_value(event, name))), ""),
        ))
    if len(events) > MAX_EVENTS:
        problems.append(f"only the first {MAX_EVENTS} events of the calendar were read")
    if not invites:
        problems.append("the calendar holds no event")
    return tuple(invites), tuple(problems)


# Calendar properties only the calendar service writes, naming the conference it attached.
ATTESTED_CONFERENCE = ("X-GOOGLE-CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL", "X-MICROSOFT-ONLINEMEETINGCONFLINK")


def looks_like_ics(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"


# ---------------------------------------------------------------- entry points

@dataclass
class _Parts:
    plains: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    invites: list[Invite] = field(default_factory=list)
    attachments: list[TextBlock] = field(default_factory=list)
    file_names: list[TextBlock] = field(default_factory=list)
    calendars: list[str] = field(default_factory=list)  # each calendar's text as written, for disguised numbers
    drawn_words: dict[str, str] = field(default_factory=dict)  # a drawn picture's words by view.picture_key
    fonts_drawing: dict[str, dict[str, str]] = field(default_factory=dict)  # webfont.swapped, by family


def _file_name_block(filename: str) -> TextBlock:
    """An attachment's name as the reader sees it beside the paper clip: a line of text, its
    underscores read as the spaces they stand for ("Refund_call_0861-555-014.pdf")."""
    return TextBlock("file_name", canonical_line(filename.replace("_", " ")), filename)


SAID_CHARS = 100_000  # of a message's text, looked through for a locked file's password
_TAG = re.compile(r"<[^>]{0,2000}>")


def _text_said(msg: Message) -> str:
    """The subject and the text parts of a message, tags out: where it gives a password."""
    said = [decode_header_value(msg.get("Subject"))]
    for _, part in zip(range(MAX_PARTS), msg.walk(), strict=False):
        disposition = str(part.get("Content-Disposition") or "").lower()
        if part.get_content_type() in ("text/plain", "text/html") and not disposition.startswith("attachment"):
            said.append(html.unescape(_TAG.sub(" ", _part_text(part, [])[:SAID_CHARS])))
    return "\n".join(said)[:SAID_CHARS]


def _message_parts(msg: Message, problems: list[str], limits: CalendarLimits) -> _Parts:
    parts = _Parts()
    seen_calendars: set[bytes] = set()
    extraction = _Extraction(lambda: _text_said(msg))
    drawn: list[tuple[str, bytes]] = []  # pictures drawn in the message: (Content-ID, bytes)
    for part in _walk(msg, problems):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = decode_header_value(part.get_filename() or "")
        if ctype in CALENDAR_TYPES or filename.lower().endswith(".ics"):
            data = _payload_bytes(part, problems)
            key = data.strip()
            if key and key not in seen_calendars and len(parts.invites) < MAX_EVENTS:
                seen_calendars.add(key)
                parts.invites.extend(parse_calendar(data, problems, limits))
                parts.calendars.append(data.decode("utf-8", "replace"))
            continue
        # str(): compat32 hands back a Header object when the field holds 8-bit bytes.
        disposition = str(part.get("Content-Disposition") or "").lower()
        content_id = decode_header_value(part.get("Content-ID")).strip().strip("<>")
        if filename or disposition.startswith("attachment"):
            if filename and len(parts.file_names) < MAX_FILE_NAMES:
                parts.file_names.append(_file_name_block(filename))
            kind = attachment_kind(ctype, filename)
            if kind == "picture" and content_id and not disposition.startswith("attachment"):
                drawn.append((content_id, _payload_bytes(part, problems)))  # drawn inline, named or not
                continue
            parts.attachments.extend(_attachment_blocks(kind, _payload_bytes(part, problems) if kind else b"", filename,
                                                        part.get_content_charset(), problems, extraction))
            continue
        if ctype == "text/plain":
            parts.plains.append(_part_text(part, problems))
        elif ctype == "text/html":
            parts.htmls.append(_part_text(part, problems))
        elif is_picture(ctype, ""):
            # A picture with no file name is drawn in the message (by its cid: in the HTML, or
            # after the text): named by its Content-ID, read once the HTML says where it stands.
            drawn.append((content_id, _payload_bytes(part, problems)))
    _read_drawn_pictures(parts, [*drawn, *_carried_pictures(parts.htmls)], problems, extraction)
    return parts


def _fonts_drawing(htmls: list[str], problems: list[str], extraction: _Extraction) -> dict[str, dict[str, str]]:
    """What the fonts the HTML bodies carry draw instead of a character, by family: each font's
    sample (webfont.font_sample) read as any picture, within the pictures' bounds."""
    drawing = {}
    for family, source in [font for body in htmls for font in embedded_fonts(body)][:EMBEDDED_FONTS_READ]:
        sample = font_sample(_data_uri_bytes(source))
        if sample is not None and (shows := swapped(sample[0], _picture_words(sample[1], problems, extraction))):
            drawing[family] = shows
    return drawing


def _read_drawn_pictures(parts: _Parts, drawn: list[tuple[str, bytes]], problems: list[str],
                         extraction: _Extraction) -> None:
    """The pictures drawn in the message read into its parts: their words as attachments, and by
    how the HTML knows each, for the lines they are drawn within; and what the fonts the HTML
    carries draw."""
    pictures = _drawn_pictures(drawn, parts.htmls, problems, extraction)
    parts.attachments += [block for _, block in pictures]
    parts.drawn_words = {key: block.text for key, block in pictures}
    parts.fonts_drawing = _fonts_drawing(parts.htmls, problems, extraction)


def _carried_pictures(htmls: list[str]) -> list[tuple[str, bytes]]:
    """The pictures HTML bodies carry as `data:` URIs: (the URI, its bytes)."""
    return [(source, data) for body in htmls for source in data_pictures(body) if (data := _data_uri_bytes(source))]


def _data_uri_bytes(source: str) -> bytes:
    """The bytes a `data:...;base64,` URI carries (b"" when it is no base64)."""
    try:
        return base64.b64decode("".join(source.partition(",")[2].split()), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _picture_name(key: str) -> str:
    """A drawn picture's name in the evidence: its Content-ID, or where a `data:` URI stands."""
    return "a picture in the HTML" if key.startswith("data:") else key


def _turns(htmls: list[str]) -> dict[str, Turn]:
    return {key: turn for body in htmls for key, turn in turned_pictures(body).items()}


def _as_shown(data: bytes, key: str, turns: Mapping[str, Turn]) -> bytes:
    """A drawn picture as the message shows it: turned or mirrored back by its own transform (a
    number's picture carried mirrored, `transform: scaleX(-1)`), as it is otherwise."""
    turn = turns.get(key)
    return (turned(data, turn.mirrored, turn.upside_down, turn.quarters) or data) if turn else data


def _drawn_pictures(drawn: list[tuple[str, bytes]], htmls: list[str], problems: list[str],
                    extraction: _Extraction) -> list[tuple[str, TextBlock]]:
    """The words of the pictures drawn in the message, each as the HTML shows it (`_as_shown`), by
    how the HTML knows it (its Content-ID or its `data:` URI, view.picture_key) and named as
    `_picture_name` says. Pictures an HTML body draws together with no text between, side by side
    or one under another (view.pictures_together), are read as one picture, first: a number drawn
    a digit to a picture, or a line cut across into strips, is read only with its pieces together."""
    turns = _turns(htmls)
    shown = [(key, _as_shown(data, key, turns)) for key, data in drawn]
    by_id = dict(shown)
    blocks = []
    read_together: set[str] = set()
    for lines in (lines for body in htmls for lines in pictures_together(body)):
        row = [content_id for line in lines for content_id in line]
        if not all(content_id in by_id for content_id in row) or read_together.intersection(row):
            continue
        together = drawn_together([[by_id[content_id] for content_id in line] for line in lines])
        text, truncated = _picture_text(together, problems, extraction) if together else ("", False)
        if text:
            read_together.update(row)
            blocks.append((" ".join(row), TextBlock("attachment", text, " ".join(row), truncated)))
    for key, data in shown:
        if key not in read_together:
            text, truncated = _picture_text(data, problems, extraction)
            if text:
                blocks.append((key, TextBlock("attachment", text, _picture_name(key), truncated)))
    return blocks


_WORD = re.compile(r"\w+")


def _says_nothing_more(html_text: str, plain: str) -> bool:
    """The HTML rendering holds no word the plain alternative lacks (templates differ in
    punctuation and layout, not in words)."""
    return set(_WORD.findall(html_text.lower())) <= set(_WORD.findall(plain.lower()))


# Renderings kept: every input of one message (`inviteguard fit` and the evaluation read each as
# three, one after the other) hands over the same HTML, and rendering it is parsing's dearest step.
RENDERINGS_KEPT = 4


@lru_cache(maxsize=RENDERINGS_KEPT)
def _rendered(html: str, drawn_words: tuple[tuple[str, str], ...],
              fonts_drawing: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> RenderedHTML:
    """render_html of the HTML, the pictures' words and the fonts' drawings given as the items of
    their mappings."""
    return render_html(html, dict(drawn_words), {family: dict(shows) for family, shows in fonts_drawing})


def _bodies(plains: list[str], htmls: list[str], drawn_words: Mapping[str, str],
            fonts_drawing: Mapping[str, Mapping[str, str]]) -> tuple[list[TextBlock], list[str], str]:
    """Every alternative the reader may be shown: the plain text and the HTML rendering (the words
    of the pictures it draws within its lines in their places), both when they differ (a decoy in
    one, the lure in the other), once when they agree; the web links (anchors' and those written
    out as text); the HTML as rendered before the canonical view, its hidden parts marked
    (disguised numbers)."""
    blocks: list[TextBlock] = []
    links: list[str] = []
    written = ""
    plain, plain_truncated = canonical("\n\n".join(plains))
    if plain:
        blocks.append(TextBlock("body", plain, "text/plain", plain_truncated))
        links.extend(plain_links(plain))
    if htmls:
        rendered = _rendered("\n".join(htmls), tuple(drawn_words.items()),
                             tuple((family, tuple(shows.items())) for family, shows in fonts_drawing.items()))
        links.extend(rendered.links)
        # A web address the HTML shows as text is a link as the plain part's are: a template may
        # write its link as text, no anchor, and the Outlook add-in sends the HTML alone.
        written_out = [link for link in dict.fromkeys(plain_links(rendered.text)) if link not in links]
        links.extend(written_out)
        written = rendered.written
        if rendered.text and not _says_nothing_more(rendered.text, plain):
            blocks.append(TextBlock("body", rendered.text, "text/html", rendered.truncated))
    return blocks, links, written


def _attached_message_text(data: bytes, problems: list[str]) -> tuple[str, bool]:
    """(canonical text, truncated) of an attached message as the reader sees it on opening it:
    its sender's name, subject, text, events and attachments. The Outlook add-in gets an attached
    item as an .eml file; in a whole message the attached message's parts are read as the
    message's own. One level: inside, an attached message is a MIME container like any other."""
    msg = email.message_from_bytes(data[:MAX_ATTACHMENT_BYTES], policy=policy.compat32)
    fields = _from_headers(_header_pairs(msg), msg)
    parts = _message_parts(msg, problems, DEFAULT_CALENDAR_LIMITS)
    sender: Address | None = fields["from_"]  # type: ignore[assignment]
    bodies, _, _ = _bodies(parts.plains, parts.htmls, parts.drawn_words, parts.fonts_drawing)
    blocks = reader_texts(str(fields["subject"]), tuple(parts.invites), None, sender.name if sender else "", bodies,
                          (*parts.file_names, *parts.attachments))
    return "\n\n".join(b.text for b in blocks), any(b.truncated for b in blocks)


def reader_texts(subject: str, invites: tuple[Invite, ...], item: OutlookItem | None, from_name: str,
                 bodies: list[TextBlock], attached: tuple[TextBlock, ...]) -> tuple[TextBlock, ...]:
    """Every piece of text a reader can see, labelled with where it sits, in canonical form;
    `attached` are the attachments' names and the texts read from them."""
    blocks: list[TextBlock] = []
    if subject:
        blocks.append(TextBlock("subject", subject))
    for invite in invites:
        fields: tuple[tuple[TextSource, str], ...] = (
            ("summary", invite.summary), ("description", invite.description), ("description", invite.notes_html),
            ("description", invite.comment), ("location", invite.location))
        blocks.extend(TextBlock(source, text) for source, text in fields if text)
        if invite.organizer and invite.organizer.name:
            blocks.append(TextBlock("organizer_name", invite.organizer.name))
    if item and item.location:
        blocks.append(TextBlock("location", canonical_line(item.location)))
    if from_name:
        blocks.append(TextBlock("from_name", from_name))
    blocks.extend(bodies)
    blocks.extend(attached)
    return tuple(blocks)


def _from_headers(pairs: list[tuple[str, str]], msg: Message) -> dict[str, object]:
    def first(name: str) -> str:
        return next((v for k, v in pairs if k == name), "")

    return {
        "headers": tuple(pairs),
        "subject": first("subject"),
        "from_": _address(first("from")),
        "sender": _address(first("sender")),
        "reply_to": _addresses(msg.get_all("Reply-To", [])),
        "recipients": _addresses(msg.get_all("To", []) + msg.get_all("Cc", [])),
        "return_path": first("return-path").strip().strip("<>").lower(),
        "auth": trusted_auth_results(pairs),
        "dkim_domains": dkim_signing_domains(pairs),
    }


def parse_ics(raw: bytes, limits: CalendarLimits = DEFAULT_CALENDAR_LIMITS) -> ParsedMessage:
    problems: list[str] = []
    invites = parse_calendar(raw, problems, limits)
    if not invites:
        raise InputError("unreadable_calendar", "The calendar file holds no readable event.")
    links = tuple(link for invite in invites for link in plain_links(invite.description))
    return ParsedMessage(headers=(), subject="", from_=None, sender=None, reply_to=(), recipients=(),
                         return_path="", auth=(), dkim_domains=(), body="", invites=invites,
                         attachments=(), kind="ics", problems=tuple(problems),
                         texts=reader_texts("", invites, None, "", [], ()), links=links,
                         disguised_numbers=disguised_numbers([raw.decode("utf-8", "replace")]))


def parse_raw(raw: bytes, limits: CalendarLimits = DEFAULT_CALENDAR_LIMITS) -> ParsedMessage:
    """Parse a raw RFC 5322 message or a bare .ics file."""
    if not raw.strip():
        raise InputError("empty_message", "The message is empty.")
    if looks_like_ics(raw):
        return parse_ics(raw, limits)
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    if not msg.keys():
        raise InputError("not_a_message", "This is not an email message: no header lines were found.")
    problems = [f"MIME defect: {type(d).__name__}" for d in msg.defects][:5]
    parts = _message_parts(msg, problems, limits)
    return _assemble(msg, _header_pairs(msg), parts, "eml", None, problems)


def _assemble(msg: Message, pairs: list[tuple[str, str]], parts: _Parts, kind: Literal["eml", "outlook"],
              item: OutlookItem | None, problems: list[str]) -> ParsedMessage:
    fields = _from_headers(pairs, msg)
    if item:
        if not fields["subject"]:
            fields["subject"] = canonical_line(item.subject)
        if fields["from_"] is None and item.sender:
            fields["from_"] = _address(item.sender)
    bodies, links, shown_html = _bodies(parts.plains, parts.htmls, parts.drawn_words, parts.fonts_drawing)
    invites, attachments = tuple(parts.invites), tuple(parts.attachments)
    links += [link for invite in invites for link in plain_links(invite.description)]
    sender: Address | None = fields["from_"]  # type: ignore[assignment]
    texts = reader_texts(str(fields["subject"]), invites, item, sender.name if sender else "", bodies,
                         (*parts.file_names, *attachments))
    # Read as written, before the canonical view folds the disguise away (HTML's character
    # references decoded: "&#8204;" is the same invisible character; and as rendered, with its
    # hidden parts marked: a number pieced around a hidden element).
    written = [*parts.plains, *(html.unescape(h) for h in parts.htmls), shown_html, *parts.calendars,
               *(value for name, value in pairs if name in ("subject", "from")),
               *((item.subject, item.location) if item else ())]
    return ParsedMessage(body=bodies[0].text if bodies else "", invites=invites, attachments=attachments,
                         kind=kind, item=item, problems=tuple(problems), texts=texts,
                         links=tuple(dict.fromkeys(links)), disguised_numbers=disguised_numbers(written),
                         **fields)  # type: ignore[arg-type]


def parse_outlook(headers: str, body: str, body_type: str = "text", ics: str | None = None,
                  item: OutlookItem | None = None, limits: CalendarLimits = DEFAULT_CALENDAR_LIMITS,
                  files: tuple[AttachedFile, ...] = ()) -> ParsedMessage:
    """Parse what the Outlook add-in can read without the raw message.

    Outlook often cannot hand over the ICS of a meeting request; its body then is the event's notes,
    so detection must work from headers + body alone. `files` are the attachments whose bytes the
    add-in read (Mailbox 1.8's getAttachmentContentAsync); their names come with the item.
    """
    if not (headers.strip() or body.strip() or (ics or "").strip() or item or files):
        raise InputError("empty_message", "Neither headers, body, invite, item fields nor files were given.")
    problems: list[str] = []
    msg = HeaderParser(policy=policy.compat32).parsestr(headers.strip("\r\n") + "\n\n")
    parts = _Parts()
    (parts.htmls if body_type == "html" else parts.plains).append(body)
    # The names the reading pane lists beside the paper clip, and the text of the files read.
    names = [name for name in (item.attachments if item else ()) if name.strip()]
    parts.file_names.extend(_file_name_block(name) for name in names[:MAX_FILE_NAMES])
    extraction = _Extraction(lambda: "\n".join((decode_header_value(msg.get("Subject")), _TAG.sub(" ", body))))
    drawn: list[tuple[str, bytes]] = []  # pictures the body draws by cid:, as in a whole message
    for attached in files:
        kind = attachment_kind(attached.content_type, attached.name)
        if kind == "picture" and attached.content_id:
            drawn.append((attached.content_id, attached.data))
        elif attached.content_type.lower() != MESSAGE_TYPE:
            parts.attachments.extend(_attachment_blocks(kind, attached.data, attached.name, None, problems, extraction))
        elif _counted("text", problems, extraction):
            text, truncated = _attached_message_text(attached.data, problems)
            if text:
                parts.attachments.append(TextBlock("attachment", text, attached.name, truncated))
    _read_drawn_pictures(parts, [*drawn, *_carried_pictures(parts.htmls)], problems, extraction)
    if ics and ics.strip():
        parts.invites.extend(parse_calendar(ics.encode("utf-8", "replace"), problems, limits))
        parts.calendars.append(ics)
    return _assemble(msg, _header_pairs(msg), parts, "outlook", item, problems)
