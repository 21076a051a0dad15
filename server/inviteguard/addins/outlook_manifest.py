"""The Outlook add-in manifest, rendered for one deployment.

The XML in addin_manifest/outlook/manifest.xml is a Jinja2 template: every URL in it is the
deployment's public base URL plus a fixed path, so the service can hand an Exchange admin a
manifest that points at itself. Pure functions, no Flask: the route lives in outlook.py.
"""

from __future__ import annotations

import json
import re
import uuid
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

# The repository layout keeps add-in manifests next to the package, not inside it.
TEMPLATE_DIR = Path(__file__).resolve().parent / "manifests" / "outlook"  # addin_manifest/outlook, as package data
TEMPLATE_NAME = "manifest.xml"

# Icons named in <Resources> (ribbon 16/32/80, mobile 25/32/48 at scale 1, 2 and 3), plus the
# store icons IconUrl (64) and HighResolutionIconUrl (128). make_icons.py draws ICON_SIZES.
RESOURCE_ICON_SIZES = (16, 25, 32, 48, 50, 64, 75, 80, 96, 144)
ICON_SIZES = tuple(sorted({*RESOURCE_ICON_SIZES, 64, 128}))
LOCALES = ("en", "de", "fr", "es")

# Office limits resource strings: short 125 characters, long 250.
_LIMITS = {"short": 125, "long": 250}


def normalize_public_url(public_url: str) -> str:
    """The base URL as the manifest uses it: http(s), a host, no query or fragment, no trailing '/'."""
    parts = urlsplit(public_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"public URL must be an absolute http(s) URL, got {public_url!r}")
    if parts.query or parts.fragment:
        raise ValueError("public URL must not carry a query or fragment")
    netloc = parts.netloc.lower()
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def deployment_addin_id(public_url: str) -> str:
    """A stable add-in id per deployment: the same public URL always yields the same GUID.

    Exchange keys installed add-ins by this id, so re-rendering the manifest after an upgrade
    updates the deployed add-in instead of installing a second copy.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, normalize_public_url(public_url)))


def manifest_version(version: str) -> str:
    """Office wants 1-4 dot-separated integers; '0.1.0.dev3' or '1.2+local' become '0.1.0.0', '1.2.0.0'."""
    numbers = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        if not match:
            break
        numbers.append(str(int(match.group())))
        if match.end() != len(part):
            break
    if not numbers:
        raise ValueError(f"version has no leading number: {version!r}")
    return ".".join([*numbers, "0", "0", "0"][:4])


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["xml"], default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


@cache
def _strings() -> dict[str, list[tuple[str, dict[str, str]]]]:
    data = json.loads((TEMPLATE_DIR / "strings.json").read_text(encoding="utf-8"))
    out: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for kind, limit in _LIMITS.items():
        for sid, texts in data[kind].items():
            missing = [loc for loc in LOCALES if not texts.get(loc)]
            if missing:
                raise ValueError(f"manifest string {sid} lacks {missing}")
            too_long = [loc for loc in LOCALES if len(texts[loc]) > limit]
            if too_long:
                raise ValueError(f"manifest string {sid} is over {limit} characters in {too_long}")
        out[kind] = list(data[kind].items())
    return out


def render_outlook_manifest(public_url: str, addin_id: str, version: str, *, entra_client_id: str | None = None,
                            template: str = TEMPLATE_NAME) -> str:
    """The add-in-only XML manifest for the deployment at public_url (`template`: the standard one, or a
    variant that extends it, such as the event-based manifest-event-based.xml).

    entra_client_id: the Entra ID app registration of the service, when Outlook SSO is used
    (adds <WebApplicationInfo> so Office.auth.getAccessToken can mint tokens for it).
    """
    base = normalize_public_url(public_url)
    addin_id = str(uuid.UUID(addin_id))  # refuses anything that isn't a GUID
    if entra_client_id is not None:
        entra_client_id = str(uuid.UUID(entra_client_id))
    strings = _strings()
    return _environment().get_template(template).render(
        base=base,
        addin_id=addin_id,
        version=manifest_version(version),
        icon_sizes=RESOURCE_ICON_SIZES,
        short_strings=strings["short"],
        long_strings=strings["long"],
        entra_client_id=entra_client_id,
        entra_resource=f"api://{urlsplit(base).netloc}/{entra_client_id}" if entra_client_id else None,
    )
