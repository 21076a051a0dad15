"""Settings: defaults -> environment -> create_app(config); bad values are refused by name; the
README's configuration table documents every setting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from inviteguard import create_app
from inviteguard.runtime.config import ConfigError, Settings, setting_env_name, settings_from

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults() -> None:
    settings = settings_from({})
    assert settings == Settings()
    assert settings.redis_timeout_seconds == 0.05 and settings.redis_url is None


def test_environment_then_config_override() -> None:
    environ = {"REDIS_URL": "redis://env:6379/0", "INVITEGUARD_CACHE_TTL_SECONDS": "60",
               "INVITEGUARD_MAX_BODY_BYTES": "1000"}
    settings = settings_from(environ, {"MAX_BODY_BYTES": 500, "default_locale": "de"})
    assert settings.redis_url == "redis://env:6379/0"
    assert settings.cache_ttl_seconds == 60
    assert settings.max_body_bytes == 500 and settings.default_locale == "de"


@pytest.mark.parametrize(("environ", "name"), [
    ({"INVITEGUARD_CACHE_TTL_SECONDS": "soon"}, "INVITEGUARD_CACHE_TTL_SECONDS"),
    ({"INVITEGUARD_REDIS_TIMEOUT_SECONDS": "-1"}, "INVITEGUARD_REDIS_TIMEOUT_SECONDS"),
    ({"INVITEGUARD_MAX_BODY_BYTES": ""}, "INVITEGUARD_MAX_BODY_BYTES"),
])
def test_bad_values_name_the_setting(environ: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        settings_from(environ)


def test_create_app_applies_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVITEGUARD_MAX_BODY_BYTES", "1234")
    app = create_app({"REDIS_URL": "redis://127.0.0.1:9/0"})
    assert app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.config["INVITEGUARD_SETTINGS"].redis_url == "redis://127.0.0.1:9/0"


def test_readme_documents_every_setting() -> None:
    readme = README.read_text(encoding="utf-8")
    for field in dataclasses.fields(Settings):
        assert f"`{setting_env_name(field.name)}`" in readme, f"README lacks {setting_env_name(field.name)}"
