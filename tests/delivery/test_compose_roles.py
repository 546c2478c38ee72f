"""docker-compose shows the distributed deployment: a scaled crawl group beside
discovery and the single stories stage, with Redis for the URL status, and the
topics the roles use created up front."""

from __future__ import annotations

from typing import Any

from kabar.settings import ClusterSettings
from tests.deploy.queries import REPO, load_yaml


def test_compose_runs_each_role_and_scales_the_crawl_group() -> None:
    compose: dict[str, Any] = load_yaml(REPO / "docker-compose.yml")
    services = compose["services"]
    roles = {name: svc["command"][-1] for name, svc in services.items()
             if "--role" in svc.get("command", [])}
    assert sorted(roles.values()) == ["crawl", "discovery", "stories"]
    crawl = next(services[n] for n, r in roles.items() if r == "crawl")
    assert crawl["deploy"]["replicas"] >= 2
    stories = next(services[n] for n, r in roles.items() if r == "stories")
    assert "replicas" not in stories.get("deploy", {})  # the single writer
    assert stories["environment"]["KABAR_CLUSTER__TRANSACTIONS"] == "on"  # real Kafka
    for name in roles:
        env = services[name]["environment"]
        assert env["KABAR_CLUSTER__STATUS_URL"].startswith("redis://redis:")
        assert "redis" in services[name]["depends_on"]
    script = "\n".join(services["kafka-init"]["command"])
    cluster = ClusterSettings()
    assert f"--topic {cluster.frontier_topic} --partitions {cluster.frontier_partitions}" in script
    assert f"--topic {cluster.extracted_topic} --partitions 1 " in script
