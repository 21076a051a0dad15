"""The files of an archive a reader unpacks and opens: a lure's number may stand only in a PDF
inside a ZIP attachment, in a note inside a `.tar.gz`, or in a file of a ZIP locked with a password
the message gives.

Bounded whatever the archive claims: the first MAX_ARCHIVE_MEMBERS entries are looked at, a file
is read only up to `most` bytes (a size its header understates is caught by reading one byte
more), a compressed tar is unpacked only up to MAX_TAR_BYTES, a locked file is tried with at most
PASSWORDS_TRIED of the words the message says and only when it is small, archives inside the
archive are not opened, and a broken archive gives what was read before it broke.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Sequence

MAX_ARCHIVE_MEMBERS = 16  # entries of one archive looked at
MAX_TAR_BYTES = 4_000_000  # of a compressed tar, unpacked: its files' bound and their headers
PASSWORDS_TRIED = 256  # words of the message tried on a locked file
# ZipCrypto is undone a byte at a time in Python: only a note's or a small document's size is tried.
LOCKED_BYTES_MAX = 300_000
_BROKEN = (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, OSError, ValueError, RuntimeError, EOFError,
           NotImplementedError, zlib.error, lzma.LZMAError)
UNREADABLE_ARCHIVE = "an archive attachment could not be opened"
LOCKED_FILE = "an encrypted file in an archive was not read"
_TOO_BIG = "a file of more than {most:,} bytes in an archive was not read"

Files = list[tuple[str, bytes]]


def unpacked(data: bytes, name: str, wanted: Callable[[str], bool], most: int,
             passwords: Callable[[], Sequence[str]] = tuple) -> tuple[Files, list[str]]:
    """The files of the archive attached as `name` whose names `wanted` accepts, (name, bytes) in
    the archive's order, and what could not be read, said plainly. A ZIP, a tar (gzip, bzip2 or xz
    compressed or not) or one compressed file ("Factura.pdf.gz"); a ZIP's locked file is opened
    with the password among `passwords` (the words the message says, asked for only when a file
    is locked)."""
    files: Files = []
    problems: list[str] = []
    try:
        if zipfile.is_zipfile(io.BytesIO(data)):
            _unzipped(data, wanted, most, passwords, files, problems)
        elif (inflated := _decompressed(data, MAX_TAR_BYTES)) is not None:
            if not _untarred(inflated, wanted, most, files, problems):
                _one_file(inflated, name, wanted, most, files, problems)
        elif not _untarred(data, wanted, most, files, problems):
            problems.append(UNREADABLE_ARCHIVE)
    except _BROKEN:
        problems.append(UNREADABLE_ARCHIVE)
    return files, problems


def _unzipped(data: bytes, wanted: Callable[[str], bool], most: int, passwords: Callable[[], Sequence[str]],
              files: Files, problems: list[str]) -> None:
    tried: list[bytes] | None = None  # the message's words, read once a file is locked
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist()[:MAX_ARCHIVE_MEMBERS]:
            name = info.filename
            # A Mac's resource forks ("__MACOSX/._Facture.pdf") are no file a reader opens.
            if info.is_dir() or name.startswith("__MACOSX/") or not wanted(name):
                continue
            if info.file_size > most:
                problems.append(_TOO_BIG.format(most=most))
                continue
            if info.flag_bits & 1:
                if tried is None:
                    tried = [word.encode("utf-8") for word in dict.fromkeys(passwords())][:PASSWORDS_TRIED]
                content = _unlocked(archive, info, tried, most)
                if content is None:
                    problems.append(LOCKED_FILE)
                    continue
            else:
                with archive.open(info) as member:
                    content = member.read(most + 1)
            if len(content) > most:
                problems.append(_TOO_BIG.format(most=most))
                continue
            files.append((name.rsplit("/", 1)[-1], content))


def _unlocked(archive: zipfile.ZipFile, info: zipfile.ZipInfo, passwords: list[bytes], most: int) -> bytes | None:
    """A locked file's bytes, opened with the first password that opens it (its check byte and
    its CRC both right), tried first on the archive's next locked file; None when none does."""
    if info.compress_size > LOCKED_BYTES_MAX:
        return None
    for index, password in enumerate(passwords):
        try:
            with archive.open(info, pwd=password) as member:
                content = member.read(most + 1)
        except (RuntimeError, zipfile.BadZipFile, zlib.error, EOFError):
            continue  # a wrong password: its check byte, or (1 in 256) its CRC, says so
        passwords.insert(0, passwords.pop(index))
        return content
    return None


def _decompressed(data: bytes, most: int) -> bytes | None:
    """The bytes a gzip, bzip2 or xz stream holds, at most `most` of them (one that unpacks larger
    is read as far as that); None for bytes no such stream."""
    if data[:2] == b"\x1f\x8b":
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(data, most)
    if data[:3] == b"BZh":
        return bz2.BZ2Decompressor().decompress(data, most)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMADecompressor().decompress(data, most)
    return None


def _one_file(data: bytes, name: str, wanted: Callable[[str], bool], most: int, files: Files,
              problems: list[str]) -> None:
    """The one file a compressed stream holds, named by the archive's name less its ending
    ("Factura.pdf.gz" holds "Factura.pdf")."""
    inner = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if not wanted(inner):
        return
    if len(data) > most:
        problems.append(_TOO_BIG.format(most=most))
        return
    files.append((inner, data))


def _untarred(data: bytes, wanted: Callable[[str], bool], most: int, files: Files, problems: list[str]) -> bool:
    """A tar's regular files (a Mac's "._" forks left out); False when the bytes are no tar."""
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except tarfile.ReadError:
        return False
    with archive:
        for _, member in zip(range(MAX_ARCHIVE_MEMBERS), archive, strict=False):
            name = member.name
            if not member.isfile() or name.rsplit("/", 1)[-1].startswith("._") or not wanted(name):
                continue
            if member.size > most:
                problems.append(_TOO_BIG.format(most=most))
                continue
            extracted = archive.extractfile(member)
            if extracted is not None:
                files.append((name.rsplit("/", 1)[-1], extracted.read(most + 1)))
    return True
