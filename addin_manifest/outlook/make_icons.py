"""Draws the Outlook add-in icons (a shield with an exclamation mark) as PNGs.

Run once after changing the artwork: `python addin_manifest/outlook/make_icons.py`.
The PNGs are committed under static/outlook/icons/, one per size in
inviteguard.addins.outlook_manifest.ICON_SIZES (every size the manifest names). Only the standard
library draws them, so no image toolkit is needed to rebuild them.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from inviteguard.addins.outlook_manifest import ICON_SIZES

OUT = Path(__file__).resolve().parents[2] / "static" / "outlook" / "icons"

SHIELD = (15, 108, 189)  # Fluent "brand" blue, readable on light and dark ribbons
MARK = (255, 255, 255)
SUPERSAMPLE = 4


def _inside_shield(x: float, y: float) -> bool:
    """Unit-square coordinates (0..1); a heraldic shield: flat top, curved point at the bottom."""
    if y < 0.08 or y > 0.94:
        return False
    if y < 0.55:
        return 0.14 <= x <= 0.86
    # Lower half narrows to the point along a parabola.
    t = (y - 0.55) / (0.94 - 0.55)
    half = 0.36 * (1 - t * t)
    return abs(x - 0.5) <= half


def _inside_mark(x: float, y: float) -> bool:
    bar = abs(x - 0.5) <= 0.065 and 0.22 <= y <= 0.58
    dot = (x - 0.5) ** 2 + (y - 0.71) ** 2 <= 0.075**2
    return bar or dot


def _pixel(px: int, py: int, size: int) -> tuple[int, int, int, int]:
    shield = mark = 0
    n = SUPERSAMPLE
    for sy in range(n):
        for sx in range(n):
            x = (px + (sx + 0.5) / n) / size
            y = (py + (sy + 0.5) / n) / size
            if _inside_shield(x, y):
                if _inside_mark(x, y):
                    mark += 1
                else:
                    shield += 1
    total = n * n
    covered = shield + mark
    if not covered:
        return (0, 0, 0, 0)
    rgb = tuple(round((SHIELD[i] * shield + MARK[i] * mark) / covered) for i in range(3))
    return (*rgb, round(255 * covered / total))


def png(size: int) -> bytes:
    rows = bytearray()
    for py in range(size):
        rows.append(0)  # filter type: none
        for px in range(size):
            rows.extend(_pixel(px, py, size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in ICON_SIZES:
        (OUT / f"icon-{size}.png").write_bytes(png(size))


if __name__ == "__main__":
    main()
