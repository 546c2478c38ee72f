"""docker-compose.yml: valid for the real docker-compose, and wired as documented."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from kabar.settings import (
    ARTICLES_TOPIC,
    ERRORS_TOPIC,
    STORIES_TOPIC,
    load_settings,
)
from tests.deploy.queries import DEPLOY, REPO, load_yaml

COMPOSE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc: dict[str, Any] = load_yaml(COMPOSE)
    return doc


def test_docker_compose_accepts_the_file() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose not installed (CI installs it with apt)")
    proc = subprocess.run(
        [binary, "-f", str(COMPOSE), "config", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_kafka_is_a_healthchecked_kraft_node_with_a_volume(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["healthcheck"]["test"]
    data_dir = env["KAFKA_LOG_DIRS"]
    assert any(v.endswith(f":{data_dir}") for v in kafka["volumes"])
    assert kafka["volumes"][0].split(":")[0] in compose["volumes"]


def test_kafka_init_creates_every_kabar_topic(compose: dict[str, Any]) -> None:
    init = compose["services"]["kafka-init"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = "\n".join(init["command"])
    assert "/opt/kafka/bin/kafka-topics.sh" in script
    for topic in (ARTICLES_TOPIC, STORIES_TOPIC, ERRORS_TOPIC):
        assert f"create {topic} " in script
    assert "--partitions" in script and "retention.ms" in script


def test_kabar_waits_for_kafka_and_topics(compose: dict[str, Any]) -> None:
    kabar = compose["services"]["kabar"]
    assert kabar["build"]["dockerfile"] == "deploy/Dockerfile"
    assert kabar["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert kabar["depends_on"]["kafka-init"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(kabar["healthcheck"]["test"])
    assert kabar["restart"] in ("unless-stopped", "always", "on-failure")
    uid = str(kabar["user"]).split(":")[0]
    assert uid not in ("0", "root")
    assert "./deploy/kabar.toml:/etc/kabar/kabar.toml:ro" in kabar["volumes"]


def test_compose_config_matches_the_stack() -> None:
    settings = load_settings(DEPLOY / "kabar.toml", env={})
    default = load_settings(None, env={})
    assert settings.broker.bootstrap_servers == "kafka:9092"
    assert settings.metrics.host == "0.0.0.0"
    assert settings.dedup.store == "sqlite"
    assert settings.dedup.state_path.startswith("/var/lib/kabar/")
    assert [p.name for p in settings.portals] == [p.name for p in default.portals]
    assert [p.feeds for p in settings.portals] == [p.feeds for p in default.portals]
    assert len(settings.portals) >= 5


def test_prometheus_and_grafana_are_provisioned(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    grafana = services["grafana"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    mounts = dict(v.rsplit(":", 2)[:2] for v in grafana["volumes"] if v.startswith("./"))
    host_dir = next(h for h, c in mounts.items() if home.startswith(c + "/"))
    assert (REPO / host_dir / home.rsplit("/", 1)[1]).is_file()
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/kabar.yml")
    assert provider["providers"][0]["options"]["path"] == home.rsplit("/", 1)[0]


def test_prometheus_scrapes_the_kabar_service_port(compose: dict[str, Any]) -> None:
    settings = load_settings(DEPLOY / "kabar.toml", env={})
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "kabar")
    assert job["static_configs"][0]["targets"] == [f"kabar:{settings.metrics.port}"]
    assert (
        f"{settings.metrics.port}:{settings.metrics.port}" in compose["services"]["kabar"]["ports"]
    )


def test_kafka_init_script_is_valid_bash(compose: dict[str, Any]) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    # Compose turns "$$" into "$" before the container sees the script.
    script = "\n".join(compose["services"]["kafka-init"]["command"]).replace("$$", "$")
    proc = subprocess.run([bash, "-n", "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_state_lives_in_the_kabar_volume(compose: dict[str, Any]) -> None:
    settings = load_settings(DEPLOY / "kabar.toml", env={})
    assert "kabar-state:/var/lib/kabar" in compose["services"]["kabar"]["volumes"]
    for path in (
        settings.dedup.state_path,
        settings.discovery.seen_path,
        settings.pipeline.spool_path,
    ):
        assert path.startswith("/var/lib/kabar/"), path
