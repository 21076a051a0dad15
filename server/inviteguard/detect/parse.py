"""Turn whatever a client can give us into one ParsedMessage.

Three inputs: a raw RFC 5322 message, a bare .ics file, and the Outlook add-in's parts (header
block + body + optional ICS + item fields). Parsing uses the stdlib `email` package with
`compat32` (about ten times cheaper than `policy.default` for an invite) and decodes only the
headers we use. Nothing here raises on malformed input except InputError for input that is not
a message at all; everything else that cannot be read is recorded in `problems`.
"""

from __future__ import annotations

import email
import io
import re
import zipfile
from collections.abc import Iterator
from email import policy
from email.errors import CharsetError, HeaderParseError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import icalendar

from .model import Address, Attendee, AuthResult, Invite, OutlookItem, ParsedMessage, TextBlock

# Bounds that keep hostile input cheap; beyond them we read a prefix and say so in `problems`.
MAX_PARTS = 200
MAX_EVENTS = 20
MAX_ATTACHMENT_BYTES = 2_000_000
MAX_PDF_PAGES = 5
MAX_TEXT_CHARS = 200_000
# A text/plain alternative shorter than this is a stub ("view in HTML"); read the HTML instead.
MIN_PLAIN_CHARS = 40

CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics"}
AUTH_METHODS = {"spf", "dkim", "dmarc", "compauth", "arc"}


class InputError(ValueError):
    """The input is not a message we can read at all. `code` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------- headers

def decode_header_value(value: object) -> str:
    """RFC 2047-decode one header value; broken charsets degrade to replacement characters."""
    if value is None:
        return ""
    text = str(value)
    if "=?" not in text:  # the common case; decode_header would only split and rejoin it
        return _clean(" ".join(text.split()))
    try:
        decoded = str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, ValueError, AssertionError, HeaderParseError, CharsetError):
        decoded = text
    return _clean(" ".join(decoded.split()))


# NUL and invisible format characters (zero-width spaces and joiners, soft hyphens, Unicode tag
# characters) show the reader nothing but split words for a filter: "Gemini Se\U000e0139rvice".
# Bidi controls (U+202A-E, U+2066-9) are kept: they change what is shown, the banner strips them.
_INVISIBLE = re.compile("[\x00\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff\U000e0000-\U000e007f]")


def _clean(text: str) -> str:
    return _INVISIBLE.sub("", text)


def _address(value: str) -> Address | None:
    if not value:
        return None
    name, addr = parseaddr(value)
    if not name and not addr:
        return None
    return Address(decode_header_value(name), addr.strip().lower())


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

class _HTMLText(HTMLParser):
    """HTML to readable text without executing or fetching anything."""

    _SKIP = frozenset({"script", "style", "head", "title", "noscript", "template"})
    _BLOCK = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
              "article", "header", "footer", "blockquote", "pre", "hr", "td", "th", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.size = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag == "a":
            # Keep tel: targets: phishers often show one number and link another.
            href = dict(attrs).get("href") or ""
            if href.lower().startswith("tel:"):
                self.parts.append(f" {href[4:]} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and self.size < MAX_TEXT_CHARS:
            self.parts.append(data)
            self.size += len(data)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def tidy_text(text: str) -> str:
    text = _clean(text)[:MAX_TEXT_CHARS]
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(html[: MAX_TEXT_CHARS * 4])
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser gives up on some broken markup
        pass
    return tidy_text("".join(parser.parts))


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
    data = _payload_bytes(part, problems)
    return _clean(_decode_text(data, part.get_content_charset()))


def _walk(msg: Message, problems: list[str]) -> Iterator[Message]:
    count = 0
    for part in msg.walk():
        count += 1
        if count > MAX_PARTS:
            problems.append(f"only the first {MAX_PARTS} MIME parts were read")
            return
        yield part


# ---------------------------------------------------------------- attachments

def _pdf_text(data: bytes) -> str:
    # Imported lazily: most messages carry no PDF and pypdf's import is not free.
    import pypdf
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = reader.pages[:MAX_PDF_PAGES]
        return "\n".join(page.extract_text() or "" for page in pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError, AttributeError,
            IndexError, AssertionError, ZeroDivisionError):
        return ""


_XML_TAG = re.compile(r"<[^>]{0,2000}>")


def _docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > MAX_ATTACHMENT_BYTES * 5:
                return ""
            xml = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError, EOFError):
        return ""
    xml = xml.replace("</w:p>", "\n").replace("<w:tab/>", " ")
    return _XML_TAG.sub("", xml)


def _attachment_text(part: Message, name: str, problems: list[str]) -> str:
    ctype = part.get_content_type()
    lower = name.lower()
    data = _payload_bytes(part, problems)[:MAX_ATTACHMENT_BYTES]
    if ctype == "application/pdf" or lower.endswith(".pdf") or data[:5] == b"%PDF-":
        return tidy_text(_pdf_text(data))
    if lower.endswith(".docx") or ctype.endswith("wordprocessingml.document"):
        return tidy_text(_docx_text(data))
    if ctype == "text/html" or lower.endswith((".html", ".htm")):
        return html_to_text(_decode_text(data, part.get_content_charset()))
    if ctype == "text/plain" or lower.endswith(".txt"):
        return tidy_text(_decode_text(data, part.get_content_charset()))
    return ""


# ---------------------------------------------------------------- calendars

def _ical_text(component: icalendar.cal.Component, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return tidy_text(str(value))


def _ical_address(value: object) -> Address | None:
    if value is None:
        return None
    addr = str(value)
    if addr.lower().startswith("mailto:"):
        addr = addr[7:]
    params = getattr(value, "params", {})
    name = str(params.get("CN", "")).strip('"')
    return Address(_clean(name), addr.strip().lower())


def _ical_start(event: icalendar.cal.Component) -> str:
    start = event.get("DTSTART")
    if isinstance(start, list):  # a repeated DTSTART: the first counts, as for the other properties
        start = start[0] if start else None
    try:
        return start.dt.isoformat() if start is not None and hasattr(start.dt, "isoformat") else ""
    except ValueError:  # icalendar keeps an unparsable DTSTART and raises when it is read
        return ""


def parse_calendar(data: bytes | str, problems: list[str]) -> tuple[Invite, ...]:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        problems.append(f"the calendar invite could not be read ({type(exc).__name__})")
        return ()
    method = str(calendar.get("METHOD", "")).upper()
    prodid = str(calendar.get("PRODID", ""))
    invites = []
    for event in calendar.walk("VEVENT")[:MAX_EVENTS]:
        attendees_raw = event.get("ATTENDEE", [])
        if not isinstance(attendees_raw, list):
            attendees_raw = [attendees_raw]
        attendees = []
        for attendee in attendees_raw:
            addr = _ical_address(attendee)
            if addr:
                params = getattr(attendee, "params", {})
                attendees.append(Attendee(addr.address, addr.name, str(params.get("ROLE", "")),
                                          str(params.get("PARTSTAT", ""))))
        invites.append(Invite(
            method=method,
            prodid=prodid,
            summary=_ical_text(event, "SUMMARY"),
            description=_ical_text(event, "DESCRIPTION"),
            location=_ical_text(event, "LOCATION"),
            organizer=_ical_address(event.get("ORGANIZER")),
            attendees=tuple(attendees),
            start=_ical_start(event),
        ))
    if not invites:
        problems.append("the calendar holds no event")
    return tuple(invites)


def looks_like_ics(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"


# ---------------------------------------------------------------- entry points

def _message_parts(msg: Message, problems: list[str]) -> tuple[str, tuple[Invite, ...], tuple[TextBlock, ...]]:
    plains: list[str] = []
    htmls: list[str] = []
    invites: list[Invite] = []
    seen_calendars: set[bytes] = set()
    attachments: list[TextBlock] = []
    for part in _walk(msg, problems):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = decode_header_value(part.get_filename() or "")
        if ctype in CALENDAR_TYPES or filename.lower().endswith(".ics"):
            data = _payload_bytes(part, problems)
            key = data.strip()
            if key and key not in seen_calendars and len(invites) < MAX_EVENTS:
                seen_calendars.add(key)
                invites.extend(parse_calendar(data, problems))
            continue
        # str(): compat32 hands back a Header object when the field holds 8-bit bytes.
        disposition = str(part.get("Content-Disposition") or "").lower()
        if filename or disposition.startswith("attachment"):
            text = _attachment_text(part, filename, problems)
            if text:
                attachments.append(TextBlock("attachment", text, filename))
            continue
        if ctype == "text/plain":
            plains.append(_part_text(part, problems))
        elif ctype == "text/html":
            htmls.append(_part_text(part, problems))
    plain = tidy_text("\n\n".join(plains))
    if len(plain) >= MIN_PLAIN_CHARS or not htmls:
        body = plain
    else:
        body = html_to_text("\n".join(htmls))
    return body, tuple(invites), tuple(attachments)


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


def parse_ics(raw: bytes) -> ParsedMessage:
    problems: list[str] = []
    invites = parse_calendar(raw, problems)
    if not invites:
        raise InputError("unreadable_calendar", "The calendar file holds no readable event.")
    return ParsedMessage(headers=(), subject="", from_=None, sender=None, reply_to=(), recipients=(),
                         return_path="", auth=(), dkim_domains=(), body="", invites=invites,
                         attachments=(), kind="ics", problems=tuple(problems))


def parse_raw(raw: bytes) -> ParsedMessage:
    """Parse a raw RFC 5322 message or a bare .ics file."""
    if not raw.strip():
        raise InputError("empty_message", "The message is empty.")
    if looks_like_ics(raw):
        return parse_ics(raw)
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    if not msg.keys():
        raise InputError("not_a_message", "This is not an email message: no header lines were found.")
    problems = [f"MIME defect: {type(d).__name__}" for d in msg.defects][:5]
    body, invites, attachments = _message_parts(msg, problems)
    return ParsedMessage(body=body, invites=invites, attachments=attachments, kind="eml",
                         problems=tuple(problems), **_from_headers(_header_pairs(msg), msg))  # type: ignore[arg-type]


def parse_outlook(headers: str, body: str, body_type: str = "text", ics: str | None = None,
                  item: OutlookItem | None = None) -> ParsedMessage:
    """Parse what the Outlook add-in can read without the raw message.

    Outlook often cannot hand over the ICS of a meeting request; its body then is the event's notes,
    so detection must work from headers + body alone.
    """
    if not (headers.strip() or body.strip() or (ics or "").strip() or item):
        raise InputError("empty_message", "Neither headers, body, invite nor item fields were given.")
    problems: list[str] = []
    msg = HeaderParser(policy=policy.compat32).parsestr(_clean(headers).strip("\r\n") + "\n\n")
    pairs = _header_pairs(msg)
    fields = _from_headers(pairs, msg)
    if item:
        if not fields["subject"]:
            fields["subject"] = _clean(item.subject)
        if fields["from_"] is None and item.sender:
            fields["from_"] = _address(item.sender)
    text = html_to_text(body) if body_type == "html" else tidy_text(body)
    invites = parse_calendar(ics.encode("utf-8", "replace"), problems) if ics and ics.strip() else ()
    return ParsedMessage(body=text, invites=invites, attachments=(), kind="outlook", item=item,
                         problems=tuple(problems), **fields)  # type: ignore[arg-type]
