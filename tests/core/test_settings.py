"""Settings: defaults, TOML layering, KABAR_* environment overrides, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kabar.errors import ConfigError
from kabar.settings import load_settings


def test_shipped_default_lists_real_portals() -> None:
    settings = load_settings(env={})
    names = {p.name for p in settings.portals}
    assert {"kompas", "detik", "liputan6", "antaranews", "tempo"} <= names
    assert all(f.startswith("https://") for p in settings.portals for f in p.feeds)
    assert settings.broker.bootstrap_servers == ""  # embedded broker by default
    assert settings.fetch.allow_private_addresses is False


def test_toml_then_env_override(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text(
        '[broker]\nbootstrap_servers = "kafka:9092"\n[fetch]\nworkers = 3\n'
        '[[portals]]\nname = "x"\nurls = ["https://x.id/a"]\n'
    )
    env = {"KABAR_FETCH__WORKERS": "12", "KABAR_FETCH__ALLOW_PRIVATE_ADDRESSES": "true",
           "KABAR_DISCOVERY__MAX_AGE_HOURS": "6.5", "UNRELATED": "1"}
    settings = load_settings(config, env=env)
    assert settings.broker.bootstrap_servers == "kafka:9092"
    assert settings.fetch.workers == 12
    assert settings.fetch.allow_private_addresses is True
    assert settings.discovery.max_age_hours == 6.5
    assert [p.name for p in settings.portals] == ["x"]
    assert settings.portals[0].urls == ["https://x.id/a"]


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[nosuch]\nx = 1\n", {}, "unknown config section"),
        ("[fetch]\nworkerz = 1\n", {}, "unknown setting fetch.workerz"),
        ("[fetch]\nworkers = 'many'\n", {}, "fetch.workers should be int"),
        ("[[portals]]\nfeeds = []\n", {}, "needs a name"),
        ("", {"KABAR_FETCH__WORKERS": "lots"}, "not a valid int"),
        ("", {"KABAR_FETCH__NOPE": "1"}, "unknown setting"),
        ("[broker\n", {}, "cannot read config"),
    ],
)
def test_bad_config_is_a_clear_error(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(config, env=env)
    assert info.value.reason == "bad_config"


async def test_portal_rate_applies_to_its_hosts() -> None:
    from kabar.fetch import Fetcher
    from kabar.service import apply_portal_rates
    from kabar.settings import PortalConfig, Settings

    settings = Settings()
    settings.portals = [
        PortalConfig(name="a", feeds=["https://rss.a.example/x"], urls=["https://www.a.example/1"],
                     rate=0.25),
        PortalConfig(name="b", feeds=["https://b.example/rss"]),
    ]
    async with Fetcher(settings.fetch) as fetcher:
        apply_portal_rates(fetcher, settings)
        limiter = fetcher.limiter
        assert limiter.host("rss.a.example").interval == 4.0
        assert limiter.host("www.a.example").interval == 4.0
        assert limiter.host("b.example").interval == 1 / settings.fetch.per_host_rate
