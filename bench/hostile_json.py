"""How JSON bodies cost as they grow (issue 13, point 5): each hostile family at size n and 10 n,
through what the API does before the analyzer runs (the shape scan, one json.loads, one base64
decode, the message limits), with the time and peak memory of each and the 10x ratios.
Linear means a time ratio near 10 (at most 12); a refused family stays near the scan's cost.

    python bench/hostile_json.py [--base-kb 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))

from inviteguard.runtime.config import Settings  # noqa: E402
from inviteguard.web.limits import InputLimits, LimitError, check_raw_message, decode_base64, parse_json  # noqa: E402

LIMITS = InputLimits.from_settings(Settings(max_body_bytes=1 << 30))  # no size limit: measure the work itself
MESSAGE_HEAD = b"From: Eve <eve@evil.example>\r\nSubject: big\r\n\r\n"


def tiny_values(size: int) -> bytes:
    return b'{"eml": "", "x": [' + b"1," * (size // 2) + b"1]}"


def empty_strings(size: int) -> bytes:
    return b'{"x": [' + b'"",' * (size // 3) + b'""]}'


def deep(size: int) -> bytes:
    return b'{"x": ' + b"[" * (size // 2) + b"]" * (size // 2) + b"}"


def escaped_quotes(size: int) -> bytes:
    return b'{"comment": "' + b'\\"' * (size // 2) + b'"}'


def base64_message(size: int) -> bytes:
    message = MESSAGE_HEAD + (b"A" * 76 + b"\r\n") * (size * 3 // 4 // 78)
    return json.dumps({"eml": base64.encodebytes(message).decode(), "reporter": "a@b.example"}).encode()


def outlook_parts(size: int) -> bytes:
    return json.dumps({"headers": "From: a@b.example\r\nSubject: x", "body": "call +1 808 555 0199 " * (size // 22)
                       }).encode()


FAMILIES: dict[str, Callable[[int], bytes]] = {
    "many tiny values": tiny_values, "many empty strings": empty_strings, "deep nesting": deep,
    "escaped quotes in one string": escaped_quotes, "base64 message": base64_message,
    "Outlook parts": outlook_parts,
}


def intake(body: bytes) -> str:
    """What limits.py does with a JSON body before the analyzer: the answer it would give."""
    try:
        data = parse_json(body, LIMITS)
        eml = data.get("eml") if isinstance(data, dict) else None
        if isinstance(eml, str) and eml:
            check_raw_message(decode_base64(eml, LIMITS), LIMITS)
    except LimitError as exc:
        return f"{exc.status} {exc.code}"
    return "accepted"


def measure(body: bytes, repeat: int) -> tuple[float, float, str]:
    best = float("inf")
    answer = ""
    for _ in range(repeat):
        started = time.perf_counter()
        answer = intake(body)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    intake(body)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 1e6, answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-kb", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    size = args.base_kb * 1000
    print(f"{'family':32s} {'n':>9s} {'time n':>9s} {'time 10n':>9s} {'ratio':>6s} {'MB 10n':>7s}  answer")
    worst = 0.0
    for name, build in FAMILIES.items():
        small, large = build(size), build(10 * size)
        t_small, _, _ = measure(small, args.repeat)
        t_large, peak, answer = measure(large, args.repeat)
        ratio = t_large / t_small
        worst = max(worst, ratio)
        print(f"{name:32s} {len(small):9d} {t_small * 1000:7.1f}ms {t_large * 1000:7.1f}ms {ratio:6.1f} "
              f"{peak:7.1f}  {answer}")
    print(f"worst 10x ratio: {worst:.1f} (linear: at most 12)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
