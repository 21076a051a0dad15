"""The files of a ZIP archive a reader unpacks and opens: a lure's number may stand only in a PDF
inside a ZIP attachment.

Bounded whatever the archive claims: the first MAX_ARCHIVE_MEMBERS entries are looked at, a file
is read only up to `most` bytes (a size its header understates is caught by reading one byte
more), encrypted files and archives inside the archive are not opened, and a broken archive gives
what was read before it broke.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable

MAX_ARCHIVE_MEMBERS = 16  # entries of one archive looked at
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, EOFError,
           NotImplementedError, zlib.error)
UNREADABLE_ARCHIVE = "an archive attachment could not be opened"


def unpacked(data: bytes, wanted: Callable[[str], bool], most: int) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The archive's files whose names `wanted` accepts, (name, bytes) in the archive's order,
    and what could not be read, said plainly."""
    files: list[tuple[str, bytes]] = []
    problems: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist()[:MAX_ARCHIVE_MEMBERS]:
                name = info.filename
                # A Mac's resource forks ("__MACOSX/._Facture.pdf") are no file a reader opens.
                if info.is_dir() or name.startswith("__MACOSX/") or not wanted(name):
                    continue
                if info.flag_bits & 1:
                    problems.append("an encrypted file in an archive was not read")
                    continue
                if info.file_size > most:
                    problems.append(f"a file of more than {most:,} bytes in an archive was not read")
                    continue
                with archive.open(info) as member:
                    content = member.read(most + 1)
                if len(content) > most:
                    problems.append(f"a file of more than {most:,} bytes in an archive was not read")
                    continue
                files.append((name.rsplit("/", 1)[-1], content))
    except _BROKEN:
        problems.append(UNREADABLE_ARCHIVE)
    return files, problems
