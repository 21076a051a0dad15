"""The Thunderbird add-on package (XPI), built for one deployment.

An XPI is a zip of the MailExtension: addin_manifest/thunderbird/ (manifest.json, _locales/,
icons/) plus the scripts and pages in static/thunderbird/, all at the archive root. Building it
bakes in what differs per deployment: the service URL and client key go into a generated
``defaults.json`` that the background reads (enterprise policy and the options page can still
override them), the manifest's host permission is narrowed to the service's origin, and the
version is the package's. Pure functions, no Flask: the route lives in thunderbird.py.

The archive is deterministic (sorted entries, fixed timestamps), so the same inputs give the same
bytes and the same ETag.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

# Package data: addins/manifests is the top-level addin_manifest/, static the top-level static/
# (links in a source tree, copies in a wheel).
MANIFEST_DIR = Path(__file__).resolve().parent / "manifests" / "thunderbird"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "thunderbird"
# What of addin_manifest/thunderbird/ ships; tools/ and README.md stay out of the package.
MANIFEST_PARTS = ("manifest.json", "_locales", "icons")
STATIC_SUFFIXES = (".js", ".mjs", ".html", ".css", ".png", ".json", ".svg")
ADDON_ID = "inviteguard@inviteguard.invalid"
XPI_NAME = "inviteguard-thunderbird.xpi"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def normalize_service_url(public_url: str) -> str:
    """http(s), a host, no credentials/query/fragment, no trailing '/'; raises ValueError otherwise."""
    parts = urlsplit(public_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public URL must be an absolute http(s) URL, got {public_url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("public URL must not carry credentials, a query or a fragment")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def host_permission(service_url: str) -> str:
    """The match pattern for the service's origin. Firefox/Thunderbird patterns carry no port."""
    parts = urlsplit(service_url)
    return f"{parts.scheme}://{parts.hostname}/*"


def addon_version(version: str) -> str:
    """Thunderbird wants 1-4 dot-separated integers: '0.1.0.dev3' -> '0.1.0', '1.2+local' -> '1.2'."""
    numbers: list[str] = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(str(int(match.group())))
        if match.end() != len(part) or len(numbers) == 4:
            break
    if not numbers:
        raise ValueError(f"version has no leading number: {version!r}")
    return ".".join(numbers)


def _manifest(service_url: str, version: str) -> bytes:
    manifest = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    manifest["version"] = addon_version(version)
    manifest["host_permissions"] = [host_permission(service_url)]
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _defaults(service_url: str, version: str, client_key: str) -> bytes:
    defaults = {"serviceUrl": service_url, "clientKey": client_key, "version": version}
    return (json.dumps(defaults, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def package_files(public_url: str, version: str, client_key: str = "") -> dict[str, bytes]:
    """Archive path -> content of every file the XPI holds."""
    service_url = normalize_service_url(public_url)
    files: dict[str, bytes] = {}
    for part in MANIFEST_PARTS[1:]:
        for path in sorted((MANIFEST_DIR / part).rglob("*")):
            if path.is_file():
                files[path.relative_to(MANIFEST_DIR).as_posix()] = path.read_bytes()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file() and path.suffix in STATIC_SUFFIXES:
            files[path.relative_to(STATIC_DIR).as_posix()] = path.read_bytes()
    files["manifest.json"] = _manifest(service_url, version)
    files["defaults.json"] = _defaults(service_url, version, client_key)
    return files


def build_xpi(public_url: str, version: str, client_key: str = "") -> bytes:
    """The XPI for a deployment whose service answers at ``public_url``."""
    files = package_files(public_url, version, client_key)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # manifest.json first: some tools sniff it from the start of the archive.
        for name in sorted(files, key=lambda n: (n != "manifest.json", n)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_xpi(path: str | Path, public_url: str, version: str, client_key: str = "") -> Path:
    """Build the XPI and write it to ``path`` (parent directories are created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build_xpi(public_url, version, client_key))
    return target


def etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]
