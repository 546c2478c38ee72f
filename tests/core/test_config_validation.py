"""Config validation before anything starts: near misses in the file and the
environment name the closest valid setting; ranges, choices and combinations."""

from __future__ import annotations

from pathlib import Path

import pytest

from kabar.errors import ConfigError
from kabar.portals import normalize_portal
from kabar.settings import load_settings


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[fecth]\nworkers = 2\n", {}, r"section \[fecth\] \(did you mean \[fetch\]"),
        ("[fetch]\nworkerz = 2\n", {}, r"did you mean fetch\.workers\?"),
        ("", {"KABAR_FECTH__WORKERS": "4"}, r"FECTH__.*mean KABAR_FETCH__WORKERS"),
        ("", {"KABAR_FETCH_WORKERS": "4"}, r"double underscore \(did you mean KABAR_FETCH__W"),
        ("", {"KABAR_LOG_LEVEL": "debug"}, r"did you mean KABAR_LOG__LEVEL"),
        ("", {"KABAR_FETCH__WROKERS": "4"}, r"did you mean KABAR_FETCH__WORKERS"),
        ("[fetch]\nworkers = -3\n", {}, r"fetch\.workers = -3 is out of range: must be >= 1"),
        ("", {"KABAR_FETCH__PER_HOST_RATE": "0"}, r"fetch\.per_host_rate = 0\.0 .* must be > 0"),
        ("[metrics]\nport = 70000\n", {}, r"metrics\.port .* between 0 and 65535"),
        ("[dedup]\nstore = 'sqlit'\n", {}, r"store = 'sqlit' is not one of .*mean 'sqlite'"),
        ("[log]\nlevel = 'LOUD'\n", {}, r"log\.level = 'LOUD' is not one of DEBUG"),
        ("[log]\nformat = 'jsno'\n", {}, r"did you mean 'json'"),
        ("[broker]\nsecurity_protocol = 'SASL_SSL'\n", {}, r"embedded broker speaks PLAINTEXT"),
        ("[broker]\nbootstrap_servers = 'k:9092'\nsecurity_protocol = 'SASL_SSL'\n", {},
         r"needs broker\.sasl_username and broker\.sasl_password"),
        ("[broker]\nbootstrap_servers = 'k:9092'\nssl_cafile = '/no/such/ca.pem'\n", {},
         r"broker\.ssl_cafile: no such file"),
        ("[fetch]\nproxy = 'proxy:3128'\n", {}, r"fetch\.proxy .* http:// or https://"),
        ("[[portals]]\nname = 'a'\n[[portals]]\nname = 'A'\n", {}, r"portal 'a' is listed twice"),
        ("[[portals]]\nname = 'a'\nfeeds = ['ftp://x/rss']\n", {}, r"not an http\(s\) URL"),
        ("fetch = 3\n", {}, r"should be a \[fetch\] section"),
        ("[fetch]\nstatic_hosts = [1]\n", {}, r"list of strings"),
    ],
)
def test_near_misses_and_bad_values_are_one_line_errors(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    config = tmp_path / "kabar.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(config, env=env)
    assert "\n" not in str(info.value)


def test_missing_config_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no config file"):
        load_settings(tmp_path / "nope.toml", env={})


def test_unrelated_kabar_variables_are_left_alone(tmp_path: Path) -> None:
    settings = load_settings(None, env={"KABAR_SHARED_DIR": "/x", "KABAR_LOG__LEVEL": "debug"})
    assert settings.log.level == "DEBUG"


def test_state_lives_under_the_data_dir(tmp_path: Path) -> None:
    config = tmp_path / "kabar.toml"
    config.write_text(f"[data]\ndir = '{tmp_path / 'd'}'\n[dedup]\nstate_path = '/abs/x.db'\n"
                      "[discovery]\nseen_path = 'state/seen.sqlite3'\n")
    settings = load_settings(config, env={})
    assert settings.discovery.seen_path == str(tmp_path / "d" / "state" / "seen.sqlite3")
    assert settings.pipeline.spool_path == str(tmp_path / "d" / "state" / "spool.jsonl")
    assert settings.dedup.state_path == "/abs/x.db"
    default = load_settings(None, env={})
    assert default.dedup.state_path == str(Path("kabar-data/state/dedup.sqlite3"))
    assert default.discovery.seen_path == str(Path("kabar-data/state/seen.sqlite3"))


@pytest.mark.parametrize(
    ("raw", "name"),
    [("KOMPAS.com", "kompas"), (" Kompas ", "kompas"), ("kompas", "kompas"),
     ("www.detik.com", "detik"), ("antaranews", "antaranews"), ("Tempo.co.id", "tempo")],
)
def test_portal_names_have_one_spelling(raw: str, name: str) -> None:
    assert normalize_portal(raw) == name


def test_valid_managed_kafka_config_loads(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked here, only that it exists")
    config = tmp_path / "kabar.toml"
    config.write_text(f"[broker]\nbootstrap_servers = 'b1.example:9093'\n"
                      f"security_protocol = 'SASL_SSL'\nsasl_mechanism = 'SCRAM-SHA-512'\n"
                      f"sasl_username = 'kabar'\nssl_cafile = '{ca}'\n")
    settings = load_settings(config, env={"KABAR_BROKER__SASL_PASSWORD": "s3cret"})
    assert settings.broker.sasl_password == "s3cret"
    assert settings.broker.sasl_mechanism == "SCRAM-SHA-512"
