"""Measure the analyzer on a labelled folder: recall, false positives, per-family tables.

Runs the same `analyzer.analyze` users get. With `outlook_path`, each message is first reduced to
what the Outlook add-in can read without the ICS (header block + body + item fields + the
attachments it fetches), so the figures show how detection holds up there; `item_class=False` also
drops the item class, as some Outlook clients leave it out.
"""

from __future__ import annotations

import csv
import email
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from email import policy
from email.message import Message
from html import escape
from pathlib import Path
from typing import Any, TextIO, TypeVar

from .analyzer import analyze
from .model import AttachedFile, OutlookItem, ParsedMessage, Verdict
from .parse import (
    MAX_ATTACHMENT_BYTES,
    MESSAGE_TYPE,
    InputError,
    attachment_kind,
    looks_like_ics,
    parse_outlook,
    parse_raw,
)

LABELS = ("phish", "ham")
# Reading a folder of messages is the machine's cores' work, in chunks handed out in order. A small
# folder is read here: starting a process (and compiling the rules in it) costs seconds.
PARALLEL_MIN_CASES = 400
MAX_PROCESSES = 4
CHUNK_CASES = 50  # also how often --progress speaks
# What the Outlook add-in fetches of the attachments (static/outlook/core.js: MAX_FILES,
# FILE_BYTES_MAX, FILES_BYTES_TOTAL).
FETCHED_FILES = 4
FETCHED_FILE_BYTES = MAX_ATTACHMENT_BYTES
FETCHED_FILES_BYTES = 4_000_000

Result = TypeVar("Result")


@dataclass(frozen=True)
class Case:
    path: Path
    name: str
    label: str
    family: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    level: str  # phishing | suspicious | clean | error
    score: int
    top_reasons: tuple[str, ...]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    unreadable: list[tuple[Case, str]] = field(default_factory=list)
    outlook_path: bool = False
    item_class: bool = True


@dataclass(frozen=True)
class Input:
    """A way a client hands the service a message."""

    name: str
    outlook_path: bool
    item_class: bool = True


INPUTS = (Input("full message", False), Input("Outlook path", True), Input("Outlook path, no item_class", True, False))


def views_of(raw: bytes) -> tuple[ParsedMessage, ...]:
    """The message as each of INPUTS hands it over, parsed once: the Outlook path once too, since
    its inputs differ only in the item's class, which parsing never reads."""
    full = parse_raw(raw)
    outlook = outlook_view(raw, True, full)
    without_class = replace(outlook, item=replace(outlook.item, item_class="")) if outlook.item else outlook
    return tuple((outlook if i.item_class else without_class) if i.outlook_path else full for i in INPUTS)


def outcome_of(case: Case, verdict: Verdict) -> Outcome:
    top = tuple(r.id for r in verdict.reasons if r.weight > 0)[:3]
    return Outcome(case, verdict.level, verdict.score, top)


def read_labels(directory: Path) -> list[Case]:
    """DIR/labels.csv: `file,label,...` with label phish|ham and an optional `family` column."""
    with (directory / "labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "file" not in rows[0] or "label" not in rows[0]:
        raise ValueError("labels.csv needs the columns file and label")
    cases = []
    for number, row in enumerate(rows, start=2):
        label = (row.get("label") or "").strip()
        if label not in LABELS:
            raise ValueError(f"labels.csv line {number}: label must be phish or ham, not {label!r}")
        family = (row.get("family") or "").strip() or Path(row["file"]).parent.name or label
        cases.append(Case(directory / row["file"], row["file"], label, family))
    return cases


def outlook_view(raw: bytes, item_class: bool = True, full: ParsedMessage | None = None) -> ParsedMessage:
    """What the Outlook add-in reads without Mailbox 1.14: headers, body, item fields (the
    attachments' names among them) and the documents it fetches with Mailbox 1.8's
    getAttachmentContentAsync; no ICS. `full` is `parse_raw(raw)` when the caller has it.

    For a meeting request Outlook shows the event's notes as the body, so the body is the notes
    followed by the message text.
    """
    full = full if full is not None else parse_raw(raw)
    if looks_like_ics(raw):
        invite = full.invites[0]
        return parse_outlook("", invite.description, "text", None,
                             OutlookItem("IPM.Schedule.Meeting.Request" if item_class else "", invite.summary, "",
                                         invite.start, "", invite.location))
    header_block = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    notes = "\n\n".join(i.description for i in full.invites if i.description)
    first = full.invites[0] if full.invites else None
    item = OutlookItem(
        item_class=("IPM.Schedule.Meeting.Request" if first else "IPM.Note") if item_class else "",
        subject=full.subject,
        sender=full.header("from") or "",
        start=first.start if first else "",
        location=first.location if first else "",
        attachments=tuple(b.name for b in full.texts if b.source == "file_name"),
    )
    html, files = _outlook_reads(raw)
    if html is not None:
        # The add-in sends the HTML body when Outlook has one (tel: links, hidden text and all);
        # the event's notes ahead of it, as Outlook shows them.
        body = (f"<pre>{escape(notes)}</pre>" if notes else "") + html
        return parse_outlook(header_block, body, "html", None, item, files=files)
    return parse_outlook(header_block, "\n\n".join(t for t in (notes, full.body) if t), "text", None, item,
                         files=files)


def _outlook_reads(raw: bytes) -> tuple[str | None, tuple[AttachedFile, ...]]:
    """In one walk of the message: its first HTML part, decoded, as Outlook's Body.getAsync(Html)
    would give it, and the attachments the add-in fetches (static/outlook/core.js,
    `readableFiles`): files of a kind the service reads and attached messages (Outlook's item
    attachments, handed over as .eml), at most FETCHED_FILE_BYTES each, the first FETCHED_FILES
    within FETCHED_FILES_BYTES together, pictures after the rest. Outlook lists a picture drawn
    in the message (by cid:) among the attachments, marked inline, with its content id. An attached
    message's own parts are no body or attachment of the message Outlook shows."""
    html: str | None = None
    readable: list[tuple[bool, AttachedFile]] = []  # (a picture, the file)
    for part in _outlook_parts(email.message_from_bytes(raw, policy=policy.compat32)):
        name = part.get_filename() or ""
        disposition = str(part.get("Content-Disposition") or "").lower()
        attached_message = part.get_content_type() == MESSAGE_TYPE
        data = part.get_payload(0).as_bytes() if attached_message else part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        kind = attachment_kind(part.get_content_type(), name)
        if html is None and part.get_content_type() == "text/html" and not name:
            try:
                html = data.decode(part.get_content_charset() or "utf-8", "replace")
            except LookupError:  # a charset Python does not know
                html = data.decode("utf-8", "replace")
        # A document shown inline is still an attachment in Outlook's list, and so is a picture.
        elif attached_message or (kind and (name or disposition.startswith("attachment") or kind == "picture")):
            content_id = str(part.get("Content-ID") or "").strip().strip("<>")
            # Outlook gives an inline picture's content id (AttachmentDetails.contentId).
            inline = kind == "picture" and not disposition.startswith("attachment")
            readable.append((kind == "picture", AttachedFile(name or content_id, part.get_content_type(), data,
                                                             content_id if inline else "")))
    files: list[AttachedFile] = []
    # Stable: documents and attached messages in their order, then pictures, which a message's logos
    # would otherwise crowd a document out of the four.
    for _, attached in sorted(readable, key=lambda found: found[0]):
        if len(files) < FETCHED_FILES and len(attached.data) <= FETCHED_FILE_BYTES \
                and sum(len(f.data) for f in files) + len(attached.data) <= FETCHED_FILES_BYTES:
            files.append(attached)
    return html, tuple(files)


def _outlook_parts(part: Message) -> Iterator[Message]:
    """The leaf parts of a message in order, an attached message one part of its own."""
    if part.get_content_type() == MESSAGE_TYPE:
        yield part
    elif part.is_multipart():
        for inner in part.get_payload():
            yield from _outlook_parts(inner)
    else:
        yield part


def in_order(work: Callable[..., Result], items: Sequence[Any], *shared: Any,
             chunk: int = CHUNK_CASES, parallel_min: int | None = None) -> Iterator[tuple[int, Result]]:
    """`work(chunk_of_items, *shared)` for each chunk of the items, in the items' order, with the
    number of items done so far; across processes when there are `parallel_min` items or more
    (PARALLEL_MIN_CASES by default, read at the call) and the cores."""
    chunks = [items[start:start + chunk] for start in range(0, len(items), chunk)]
    done = 0
    processes = min(MAX_PROCESSES, os.cpu_count() or 1, len(chunks))
    if processes < 2 or len(items) < (PARALLEL_MIN_CASES if parallel_min is None else parallel_min):
        for part in chunks:
            done += len(part)
            yield done, work(part, *shared)
        return
    # spawn, not fork: the caller may be a process with threads (a test's servers).
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        for part, result in zip(chunks, pool.map(work, chunks, *([value] * len(chunks) for value in shared)),
                                strict=True):
            done += len(part)
            yield done, result


def evaluate(cases: Iterable[Case], outlook_path: bool = False, progress: TextIO | None = None,
             item_class: bool = True) -> Report:
    report = Report(outlook_path=outlook_path, item_class=item_class)
    cases = list(cases)
    for done, (outcomes, unreadable) in in_order(_judged, cases, outlook_path, item_class):
        report.outcomes += outcomes
        report.unreadable += unreadable
        if progress:
            print(f"analyzed {done}/{len(cases)}", file=progress)
    return report


def _judged(cases: Sequence[Case], outlook_path: bool, item_class: bool
            ) -> tuple[list[Outcome], list[tuple[Case, str]]]:
    outcomes, unreadable = [], []
    for case in cases:
        try:
            raw = case.path.read_bytes()
            message = outlook_view(raw, item_class) if outlook_path else parse_raw(raw)
        except (OSError, InputError, IndexError) as exc:
            unreadable.append((case, str(exc)))
            continue
        outcomes.append(outcome_of(case, analyze(message).verdict))
    return outcomes, unreadable


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.3f} ({part}/{whole})" if whole else "n/a (0)"


def format_report(report: Report) -> str:
    phish = [o for o in report.outcomes if o.case.label == "phish"]
    ham = [o for o in report.outcomes if o.case.label == "ham"]
    flagged = [o for o in phish if o.level != "clean"]
    source = "full message"
    if report.outlook_path:
        source = "Outlook path (headers + body, no ICS" + (")" if report.item_class else ", no item_class)")
    lines = [
        f"input: {source}",
        f"phish: {len(phish)}  ham: {len(ham)}  unreadable: {len(report.unreadable)}",
        f"recall (phishing or suspicious): {_rate(len(flagged), len(phish))}",
        f"recall (phishing only):          {_rate(sum(o.level == 'phishing' for o in phish), len(phish))}",
        f"ham flagged phishing:            {_rate(sum(o.level == 'phishing' for o in ham), len(ham))}",
        f"ham flagged suspicious:          {_rate(sum(o.level == 'suspicious' for o in ham), len(ham))}",
        "",
        f"{'family':<28} {'label':<6} {'n':>4} {'phishing':>9} {'suspicious':>11} {'clean':>6}",
    ]
    families: Counter[tuple[str, str, str]] = Counter((o.case.family, o.case.label, o.level) for o in report.outcomes)
    for family, label in sorted({(o.case.family, o.case.label) for o in report.outcomes}):
        counts = [families[(family, label, level)] for level in ("phishing", "suspicious", "clean")]
        lines.append(f"{family:<28} {label:<6} {sum(counts):>4} {counts[0]:>9} {counts[1]:>11} {counts[2]:>6}")
    misses = [o for o in phish if o.level == "clean"]
    false_positives = [o for o in ham if o.level != "clean"]
    for title, items in (("misses (phish judged clean)", misses), ("false positives (ham flagged)", false_positives)):
        lines += ["", f"{title}: {len(items)}"]
        lines += [f"  {o.case.name}  {o.level} {o.score}  {', '.join(o.top_reasons) or '-'}" for o in items]
    if report.unreadable:
        lines += ["", f"unreadable: {len(report.unreadable)}"]
        lines += [f"  {case.name}: {error}" for case, error in report.unreadable]
    return "\n".join(lines)
