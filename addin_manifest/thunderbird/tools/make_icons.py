"""Draw the add-on's PNG icons (a shield per verdict) with nothing but zlib and struct.

Run from anywhere: ``python addin_manifest/thunderbird/tools/make_icons.py``. The PNGs are committed;
this script documents how they were made and regenerates them byte-for-byte.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent.parent / "icons"
SUPERSAMPLE = 4
# name -> (shield colour, mark) ; mark is "bar" (neutral), "bang" (!) or "dash" (unavailable)
STYLES = {
    "shield": ((31, 95, 168), "bar"),
    "danger": ((179, 38, 30), "bang"),
    "warning": ((214, 125, 0), "bang"),
    "unavailable": ((110, 110, 110), "dash"),
}
SIZES = {"shield": (16, 32, 64, 128), "danger": (16, 32), "warning": (16, 32), "unavailable": (16, 32)}


def _in_shield(x: float, y: float) -> bool:
    """Unit-square shield: flat top, straight sides to y=0.55, then a curve to a point at the bottom."""
    if y < 0.06 or y > 0.96:
        return False
    if y <= 0.55:
        return 0.12 <= x <= 0.88
    t = (y - 0.55) / (0.96 - 0.55)
    half = 0.38 * (1 - t**1.6)
    return abs(x - 0.5) <= half


def _in_mark(x: float, y: float, mark: str) -> bool:
    if mark == "bang":
        return (abs(x - 0.5) <= 0.075 and 0.2 <= y <= 0.58) or ((x - 0.5) ** 2 + (y - 0.72) ** 2 <= 0.085**2)
    if mark == "dash":
        return abs(x - 0.5) <= 0.22 and abs(y - 0.45) <= 0.07
    return abs(x - 0.5) <= 0.075 and 0.22 <= y <= 0.72


def _pixels(size: int, colour: tuple[int, int, int], mark: str) -> bytes:
    rows = bytearray()
    n = SUPERSAMPLE
    for py in range(size):
        rows.append(0)  # filter: none
        for px in range(size):
            shield = white = 0
            for sy in range(n):
                for sx in range(n):
                    x = (px + (sx + 0.5) / n) / size
                    y = (py + (sy + 0.5) / n) / size
                    if _in_shield(x, y):
                        shield += 1
                        if _in_mark(x, y, mark):
                            white += 1
            total = n * n
            alpha = round(255 * shield / total)
            if shield:
                w = white / shield
                r, g, b = (round(c * (1 - w) + 255 * w) for c in colour)
            else:
                r = g = b = 0
            rows += bytes((r, g, b, alpha))
    return bytes(rows)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(size: int, colour: tuple[int, int, int], mark: str) -> bytes:
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(_pixels(size, colour, mark), 9))
        + _chunk(b"IEND", b"")
    )


def main() -> None:
    ICON_DIR.mkdir(exist_ok=True)
    for name, (colour, mark) in STYLES.items():
        for size in SIZES[name]:
            (ICON_DIR / f"{name}-{size}.png").write_bytes(png(size, colour, mark))


if __name__ == "__main__":
    main()
