"""Fuzz parse and analyze (and the HTTP API) with mutated messages, calendars and header blocks.

    python bench/fuzz.py [--seconds 60] [--seed 1] [--api] [--out var/fuzz]
    python bench/fuzz.py --atheris [--seconds 60]     # coverage-guided (atheris), same checks

A failure is an exception other than InputError escaping parse/analyze, a 5xx from the API, or an
input judged slower than SECONDS_PER_MEGABYTE allows. Each failing input is written to --out and
the run prints what it tried and what it found; the exit status is 1 when anything failed.
tests/test_fuzz_parse.py runs the same mutations for a bounded number of examples.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))

from inviteguard.detect.analyzer import analyze  # noqa: E402
from inviteguard.detect.parse import InputError, parse_outlook, parse_raw  # noqa: E402

SEEDS_DIR = REPO / "tests" / "data" / "emls"
SECONDS_PER_MEGABYTE = 4.0
SLOW_FLOOR_SECONDS = 1.0
TOKENS = [b"\r\n", b"\n", b"\r\n ", b"--", b"boundary=", b"=?utf-8?b?", b"?=", b"BEGIN:VEVENT\r\n", b"END:VEVENT\r\n",
          b"BEGIN:VCALENDAR\r\n", b"END:VCALENDAR\r\n", b"DESCRIPTION:", b"DTSTART:", b";CN=", b"mailto:",
          b'Content-Type: multipart/mixed; boundary="x"\r\n', b"Content-Transfer-Encoding: base64\r\n",
          b"Content-Type: text/calendar\r\n", b"+1 808 555 0199", b"\xff\xfe", b"\x00", "\u202e".encode(), b"=\r\n",
          b"Authentication-Results: spf=pass smtp.mailfrom=apple.com;", b"SRS0=abc=email.apple.com=noreply@"]


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randint(0, len(out))
        action = rng.choice(("token", "bytes", "cut", "repeat", "flip"))
        if action == "token":
            out[at:at] = rng.choice(TOKENS)
        elif action == "bytes":
            out[at:at] = rng.randbytes(rng.randint(1, 64))
        elif action == "cut":
            del out[at:at + rng.randint(1, 500)]
        elif action == "repeat":
            out[at:at] = bytes(out[at:at + rng.randint(1, 300)]) * rng.randint(2, 50)
        elif out:
            index = min(at, len(out) - 1)
            out[index] ^= 1 << rng.randint(0, 7)
    return bytes(out)


def judge_raw(raw: bytes) -> None:
    try:
        analyze(parse_raw(raw))
    except InputError:
        pass


def judge_outlook(raw: bytes) -> None:
    headers, _, body = raw.partition(b"\n\n")
    try:
        analyze(parse_outlook(headers.decode("utf-8", "replace"), body.decode("utf-8", "replace"), "html"))
    except InputError:
        pass


def api_target() -> Callable[[bytes], None]:
    from inviteguard import create_app

    # No Redis: answers are degraded, which is exactly what must never turn into a 500.
    client = create_app({"REDIS_URL": None, "ANALYZE_RATE_LIMIT_PER_ADDRESS": "1000000/second"}).test_client()

    def post(raw: bytes) -> None:
        response = client.post("/api/v1/analyze", data=raw, content_type="message/rfc822")
        if response.status_code >= 500:
            raise AssertionError(f"HTTP {response.status_code}: {response.get_data(as_text=True)[:200]}")

    return post


def check(target: Callable[[bytes], None], raw: bytes) -> str | None:
    """None, or why this input is a failure."""
    started = time.perf_counter()
    try:
        target(raw)
    except Exception:  # anything but InputError escaping is exactly what we hunt for
        return traceback.format_exc(limit=6)
    elapsed = time.perf_counter() - started
    if elapsed > SLOW_FLOOR_SECONDS + SECONDS_PER_MEGABYTE * len(raw) / 1e6:
        return f"slow: {elapsed:.2f} s for {len(raw)} bytes"
    return None


def save(out: Path, raw: bytes, why: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{hashlib.sha256(raw).hexdigest()[:16]}.eml"
    path.write_bytes(raw)
    path.with_suffix(".txt").write_text(why, encoding="utf-8")
    return path


def run_random(seeds: list[bytes], targets: dict[str, Callable[[bytes], None]], seconds: float, seed: int,
               out: Path) -> int:
    rng = random.Random(seed)
    tried = failures = 0
    stop = time.monotonic() + seconds
    last_report = time.monotonic()
    while time.monotonic() < stop:
        raw = mutate(rng, rng.choice(seeds))
        name = rng.choice(list(targets))
        tried += 1
        why = check(targets[name], raw)
        if why:
            failures += 1
            print(f"FAIL [{name}] {save(out, raw, why)}\n{why}", flush=True)
        if time.monotonic() - last_report > 5:
            last_report = time.monotonic()
            print(f"... {tried} inputs tried, {failures} failures", flush=True)
    print(f"{tried} inputs tried ({', '.join(targets)}), {failures} failures, seed {seed}")
    return 1 if failures else 0


def run_atheris(seeds: list[bytes], seconds: float, out: Path) -> int:
    import atheris

    atheris.instrument_all()  # coverage of the already imported parser, analyzer and signals
    corpus = out / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for raw in seeds:
        (corpus / hashlib.sha256(raw).hexdigest()[:16]).write_bytes(raw)

    def one_input(raw: bytes) -> None:
        why = check(judge_raw, raw)
        if why:
            print(f"FAIL {save(out, raw, why)}\n{why}", flush=True)
            raise RuntimeError(why)

    atheris.Setup([sys.argv[0], f"-max_total_time={int(seconds)}", "-print_final_stats=1",
                   f"-artifact_prefix={out}/", str(corpus)], one_input)
    atheris.Fuzz()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api", action="store_true", help="also POST each input to /api/v1/analyze in-process")
    parser.add_argument("--atheris", action="store_true", help="coverage-guided with atheris (parse + analyze)")
    parser.add_argument("--out", type=Path, default=REPO / "var" / "fuzz", help="failing inputs are written here")
    args = parser.parse_args()
    seeds = [p.read_bytes() for p in sorted(SEEDS_DIR.glob("*/*.eml"))]
    print(f"{len(seeds)} seed messages from {SEEDS_DIR}")
    if args.atheris:
        return run_atheris(seeds, args.seconds, args.out)
    targets: dict[str, Callable[[bytes], None]] = {"parse_raw": judge_raw, "outlook": judge_outlook}
    if args.api:
        targets["api"] = api_target()
    return run_random(seeds, targets, args.seconds, args.seed, args.out)


if __name__ == "__main__":
    sys.exit(main())
