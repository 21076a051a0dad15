"""Analysis time per message over a corpus, next to the parsing floor measured in the same run.

The floor is what no analyzer can avoid: compat32 parse, decoding the text parts, and the
icalendar parse of the invite. Goal: median analysis within 3x the floor. Also measures how run
time grows with hostile input of every family the parsers and signals read: 10x the input
should cost at most 12x the time (linear).

    python bench/analyze.py [CORPUS_DIR ...] [--repeat N] [--cpu]

--cpu times each run with the process's CPU clock instead of the wall clock: on a machine other
processes share, the wall clock counts the time they had the core.
"""

from __future__ import annotations

import argparse
import email
import statistics
import time
from email import policy
from pathlib import Path

import icalendar
from inviteguard.detect.analyzer import analyze
from inviteguard.detect.parse import CALENDAR_TYPES, looks_like_ics, parse_raw

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = [REPO.parent / "shared" / "corpus" / "real", REPO / "tests" / "data"]


def floor(raw: bytes) -> None:
    if looks_like_ics(raw):
        icalendar.Calendar.from_ical(raw)
        return
    message = email.message_from_bytes(raw, policy=policy.compat32)
    for part in message.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        if part.get_content_type() in CALENDAR_TYPES:
            try:
                icalendar.Calendar.from_ical(data)
            except ValueError:
                pass
        elif part.get_content_maintype() == "text":
            data.decode(part.get_content_charset() or "utf-8", "replace")


CLOCK = time.perf_counter


def timed(fn, raw: bytes, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = CLOCK()
        fn(raw)
        best = min(best, CLOCK() - started)
    return best


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def corpus_files(dirs: list[Path]) -> list[Path]:
    return [p for d in dirs if d.is_dir() for p in sorted(d.rglob("*")) if p.suffix in (".eml", ".ics")]


def analyze_uncached(raw: bytes) -> None:
    # Nothing keyed by message text is cached across messages, so every run pays full price.
    analyze(parse_raw(raw))


def _message(body: bytes, content_type: bytes = b"text/plain") -> bytes:
    return b"From: a@example.org\r\nSubject: x\r\nContent-Type: " + content_type + b"\r\n\r\n" + body


def _calendar(size: int) -> bytes:
    event = (b"BEGIN:VEVENT\r\nSUMMARY:Invoice\r\n"
             b"DESCRIPTION:You paid $599. Not you? Call +1 808 555 0199\r\nEND:VEVENT\r\n")
    notes = b"DESCRIPTION:" + b"call 808 555 0199 " * (size // 18) + b"\r\n"
    return b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n" + notes + event[13:] + b"END:VCALENDAR\r\n"


# Each family: a message of about `size` bytes built from one repeated hostile unit.
HOSTILE = {
    "digit runs": lambda n: _message(b"1 2 3 4 5 6 7 8 9 0 " * (n // 20)),
    "look-alike digits": lambda n: _message(b"OlOlOlOlOl 8O8 555 Ol99 " * (n // 24)),
    "amounts": lambda n: _message(b"$1,000,000,000 paid " * (n // 20)),
    "brands": lambda n: _message("PayPaI Nort0n \u0420aypal ".encode() * (n // 22)),
    "phrases": lambda n: _message(b"not you? you paid call us " * (n // 26)),
    "invisible chars": lambda n: _message("P\u200ba\u200dy\u2066P\u00ada\u034fl ".encode() * (n // 21)),
    "astral text": lambda n: _message("".join(chr(0x20000 + i % 40_000) for i in range(n // 4)).encode()),
    "whitespace": lambda n: _message(b" " * n + b"call +1 808 555 0199"),
    "html tags": lambda n: _message(b"<p><br><b>x</b></p>" * (n // 18), b"text/html"),
    "nested divs": lambda n: _message(b"<div>" * (n // 11) + b"x" + b"</div>" * (n // 11), b"text/html"),
    "unterminated attribute": lambda n: _message(b'<a href="' + b"x" * n, b"text/html"),
    "html comment": lambda n: _message(b"<!--" + b"x" * n + b"--><p>call +1 808 555 0199</p>", b"text/html"),
    "css rules": lambda n: _message(b"<style>" + b".a{display:none} " * (n // 18) + b"</style><p>x</p>", b"text/html"),
    "calendar": lambda n: _message(_calendar(n), b"text/calendar"),
    "mime parts": lambda n: _message(b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
                                              for _ in range(min(150, n // 40))) + b"--b--\r\n",
                                     b'multipart/mixed; boundary="b"'),
}


def scaling(small: int = 20_000, factor: int = 10) -> list[str]:
    lines = []
    for name, build in HOSTILE.items():
        times = [timed(analyze_uncached, build(size), 3) for size in (small, small * factor)]
        lines.append(f"  {name:<24} {small // 1000}k: {times[0] * 1000:8.1f} ms  {small * factor // 1000}k: "
                     f"{times[1] * 1000:8.1f} ms  ratio {times[1] / times[0]:5.1f} (input x{factor}; goal <= 12)")
    return lines


def megabyte_messages() -> dict[str, bytes]:
    """Ordinary 1 MB messages (issue 14's goal: 100 ms each): a newsletter in HTML, a plain-text
    log, a binary attachment."""
    words = b"the quarterly report meeting invoice team update project schedule review customer order".split()
    line = b" ".join(words[(i * 7) % len(words)] for i in range(60))
    html = b"<html><body>" + b"".join(b"<p>" + line + b"</p>\n" for _ in range(2_400)) + b"</body></html>"
    plain = b"\n".join(line for _ in range(2_400))
    attachment = (b"--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--B\r\n"
                  b"Content-Type: application/octet-stream; name=data.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                  + b"QUFB\r\n" * 180_000 + b"--B--\r\n")
    return {"HTML newsletter": _message(html, b"text/html"), "plain text": _message(plain),
            "binary attachment": _message(attachment, b'multipart/mixed; boundary="B"')}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu", action="store_true", help="time with the process's CPU clock, not the wall clock")
    args = parser.parse_args()
    if args.cpu:
        global CLOCK
        CLOCK = time.process_time
    files = corpus_files(args.dirs)
    floors, analyses = [], []
    for path in files:
        raw = path.read_bytes()
        floors.append(timed(floor, raw, args.repeat))
        analyses.append(timed(analyze_uncached, raw, args.repeat))
    ratios = [a / f for a, f in zip(analyses, floors, strict=True) if f > 0]
    print(f"messages: {len(files)} (best of {args.repeat} runs each, {'CPU' if args.cpu else 'wall'} clock)")
    print(f"floor    median {statistics.median(floors) * 1000:7.3f} ms  p99 {percentile(floors, 0.99) * 1000:7.3f} ms")
    print(f"analysis median {statistics.median(analyses) * 1000:7.3f} ms  "
          f"p99 {percentile(analyses, 0.99) * 1000:7.3f} ms")
    print(f"median analysis / median floor: {statistics.median(analyses) / statistics.median(floors):.2f}x "
          f"(goal <= 3x); median per-message ratio {statistics.median(ratios):.2f}x")
    slowest = sorted(zip(analyses, files, strict=True), reverse=True)[:3]
    print("slowest:", ", ".join(f"{p.name} {t * 1000:.1f} ms" for t, p in slowest))
    for name, raw in megabyte_messages().items():
        print(f"1 MB {name:<18} {len(raw) / 1e6:4.2f} MB: {timed(analyze_uncached, raw, 3) * 1000:7.1f} ms "
              "(goal <= 100 ms)")
    print("growth with hostile input size:")
    print("\n".join(scaling()))


if __name__ == "__main__":
    main()
