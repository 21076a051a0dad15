"""Analysis time per message over a corpus, next to the parsing floor measured in the same run.

The floor is what no analyzer can avoid: compat32 parse, decoding the text parts, and the
icalendar parse of the invite. Goal: median analysis within 3x the floor. Also checks that run
time grows linearly with hostile input size (no super-linear regex).

    python bench/analyze.py [CORPUS_DIR ...] [--repeat N]
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


def timed(fn, raw: bytes, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn(raw)
        best = min(best, time.perf_counter() - started)
    return best


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def corpus_files(dirs: list[Path]) -> list[Path]:
    return [p for d in dirs if d.is_dir() for p in sorted(d.rglob("*")) if p.suffix in (".eml", ".ics")]


def analyze_uncached(raw: bytes) -> None:
    # The analyzer keeps small caches keyed by text; clear them so each run pays full price.
    from inviteguard.detect.signals import brand, phone, text
    for cached in (phone._mentions_in, brand._mentions_in, text.fold_digits):
        cached.cache_clear()
    analyze(parse_raw(raw))


def scaling() -> list[str]:
    lines = []
    for name, unit in (("digit runs", "1 2 3 4 5 6 7 8 9 0 "), ("look-alikes", "OlOlOlOlOl "),
                       ("amounts", "$1,000,000,000 "), ("brands", "PayPaI Nort0n "), ("tags", "<p><br>")):
        times = []
        for size in (20_000, 80_000):
            raw = b"From: a@example.org\r\nSubject: x\r\n\r\n" + (unit * (size // len(unit))).encode()
            times.append(timed(analyze_uncached, raw, 3))
        lines.append(f"  {name:<12} 20k: {times[0] * 1000:7.1f} ms  80k: {times[1] * 1000:7.1f} ms  "
                     f"ratio {times[1] / times[0]:4.1f} (linear = 4)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=DEFAULT_DIRS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = corpus_files(args.dirs)
    floors, analyses = [], []
    for path in files:
        raw = path.read_bytes()
        floors.append(timed(floor, raw, args.repeat))
        analyses.append(timed(analyze_uncached, raw, args.repeat))
    ratios = [a / f for a, f in zip(analyses, floors, strict=True) if f > 0]
    print(f"messages: {len(files)} (best of {args.repeat} runs each, caches cleared)")
    print(f"floor    median {statistics.median(floors) * 1000:7.3f} ms  p99 {percentile(floors, 0.99) * 1000:7.3f} ms")
    print(f"analysis median {statistics.median(analyses) * 1000:7.3f} ms  "
          f"p99 {percentile(analyses, 0.99) * 1000:7.3f} ms")
    print(f"median analysis / median floor: {statistics.median(analyses) / statistics.median(floors):.2f}x "
          f"(goal <= 3x); median per-message ratio {statistics.median(ratios):.2f}x")
    slowest = sorted(zip(analyses, files, strict=True), reverse=True)[:3]
    print("slowest:", ", ".join(f"{p.name} {t * 1000:.1f} ms" for t, p in slowest))
    print("growth with hostile input size:")
    print("\n".join(scaling()))


if __name__ == "__main__":
    main()
