"""`pipeline.processes` / `kabar run --processes`: what "auto" and a number mean, how
the frontier's partitions are shared out, and a wrong value refused before anything
starts (exit 2, one line)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kabar.errors import ConfigError
from kabar.processes import child_config, parse_partitions, processes_for, share_partitions
from kabar.settings import Settings, load_settings


def test_auto_is_one_crawl_process_per_core_and_numbers_are_taken_as_they_are() -> None:
    assert processes_for("AUTO", cores=8) == 8
    assert processes_for("auto", cores=4) == 4


def test_auto_keeps_every_stage_in_one_process_below_four_cores() -> None:
    # The split's own CPU an article (the broker hops) costs more than it gains there.
    assert processes_for("auto", cores=2) == 1
    assert processes_for("auto", cores=3) == 1
    assert processes_for("2", cores=2) == 2  # a number is taken as it is
    assert processes_for("3") == 3
    assert processes_for("1") == 1
    for wrong in ("0", "-2", "many", ""):
        with pytest.raises(ConfigError, match=r"pipeline\.processes"):
            processes_for(wrong)


def test_partitions_are_shared_round_robin_and_never_to_more_processes_than_exist() -> None:
    assert share_partitions(12, 2) == [(0, 2, 4, 6, 8, 10), (1, 3, 5, 7, 9, 11)]
    assert share_partitions(5, 3) == [(0, 3), (1, 4), (2,)]
    assert share_partitions(2, 4) == [(0,), (1,)]
    shared = [p for share in share_partitions(12, 5) for p in share]
    assert sorted(shared) == list(range(12))
    assert parse_partitions("1,3, 5") == [1, 3, 5]
    with pytest.raises(ConfigError):
        parse_partitions("1,x")


def test_the_setting_is_checked_with_the_others() -> None:
    assert load_settings(env={"KABAR_PIPELINE__PROCESSES": "auto"}).pipeline.processes == "auto"
    with pytest.raises(ConfigError, match=r"pipeline\.processes"):
        load_settings(env={"KABAR_PIPELINE__PROCESSES": "0"})


def test_a_child_reads_the_run_settings_with_its_own_metrics_off_and_a_share_of_fetches() -> None:
    import tomllib

    settings = Settings()
    settings.broker.sasl_password = "secret"
    settings.pipeline.processes = "2"
    settings.fetch.workers = 9
    data = tomllib.loads(child_config(settings, children=2))
    assert data["fetch"]["workers"] == 5  # the run's concurrency, shared out
    assert data["pipeline"]["pages_in_flight"] == 9  # articles under way: the run's pace
    assert data["metrics"]["enabled"] is False
    assert data["pipeline"]["processes"] == "1"  # a child starts no children
    assert int(data["pipeline"]["extract_processes"]) >= 1
    assert "secret" not in child_config(settings)  # the secret goes by the environment
    settings.pipeline.extract_processes = "off"
    assert tomllib.loads(child_config(settings, 2))["pipeline"]["extract_processes"] == "off"


def test_run_refuses_a_wrong_process_count_before_starting() -> None:
    done = subprocess.run([sys.executable, "-m", "kabar", "run", "--once", "--processes",
                           "none"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("kabar run: pipeline.processes")
