"""``kabar bench e2e`` says how busy each of the run's processes kept its core in the
steady span: the run itself (discovery, stories), each crawl process, each extraction
worker; a saturated process (one core) is the run's bottleneck."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter

from kabar.bench import e2e


def test_each_process_cpu_counts_only_the_steady_span_in_role_order() -> None:
    seen = [
        e2e.Seen(fetched_at=10.0, sent_at=11.0, read_at=11.0, pages=1),
        e2e.Seen(fetched_at=12.0, sent_at=14.0, read_at=14.0, pages=1),
    ]
    roles = {7: "extraction", 5: "crawl", 3: "run", 4: "crawl", 9: "extraction"}
    # Start-up (before 10 s) and the drain (after 14 s) are left out; a process
    # started within the span counts from zero.
    samples = (
        (5.0, {3: 1.0, 4: 1.0, 5: 1.0, 7: 1.0}),
        (10.0, {3: 2.0, 4: 2.0, 5: 2.0, 7: 2.0}),
        (14.0, {3: 3.0, 4: 5.6, 5: 4.0, 7: 6.0, 9: 0.4}),
        (16.0, {3: 9.0, 4: 9.0, 5: 9.0, 7: 9.0, 9: 9.0}),
    )
    run = e2e.RunResult(seen, Counter(), 11.0, 16.5, 0, "", process_samples=samples, roles=roles)
    got = [(role, round(cpu, 6), round(cores, 6)) for role, cpu, cores in run.span_by_process()]
    assert got == [
        ("run", 1.0, 0.25),
        ("crawl", 3.6, 0.9),
        ("crawl", 2.0, 0.5),
        ("extraction", 4.0, 1.0),
        ("extraction", 0.4, 0.1),
    ]
    assert e2e.RunResult([], Counter(), 1.0, 1.0, 0, "").span_by_process() == []


def test_a_process_role_comes_from_its_command_line() -> None:
    commands = {
        "crawl": [sys.executable, "-c", "import time; time.sleep(60)", "run", "--role", "crawl"],
        "extraction": [sys.executable, "-c", "import time; time.sleep(60) # kabar.extract_pool"],
        "other": [sys.executable, "-c", "import time; time.sleep(60)"],
    }
    children = {role: subprocess.Popen(command) for role, command in commands.items()}
    try:
        deadline = time.monotonic() + 30
        for role, child in children.items():
            while e2e._role_of(child.pid) != role and time.monotonic() < deadline:
                time.sleep(0.05)  # the command line shows once the child has exec'd
            assert e2e._role_of(child.pid) == role
    finally:
        for child in children.values():
            child.kill()
            child.wait()


def test_stage_costs_say_per_page_what_works_page_by_page() -> None:
    """An article of the bench site is 1.68 pages on average: its extract figure is
    not ``kabar bench extract``'s per-page one, and the line says both."""
    line = e2e.stage_line({"fetch": 0.0017, "extract": 0.0042, "dedup+stories": 0.0005}, 5, 3)
    assert "5 pages of 3 articles, 1.67 an article" in line
    assert "fetch 1.70 ms (1.02 a page)" in line
    assert "extract 4.20 ms (2.52 a page)" in line
    assert "dedup+stories 0.50 ms," not in line and "dedup+stories 0.50 ms (sum 6.40 ms)" in line


def test_a_role_is_read_again_until_the_process_is_gone() -> None:
    """A child sampled between fork and exec shows its parent's command line (the run);
    once it exits its command line is empty (other): it keeps the role it had."""
    roles: dict[int, str] = {}
    e2e.note_roles(roles, {11, 12}, {11: "run", 12: "other"}.__getitem__)
    e2e.note_roles(roles, {11, 12}, {11: "crawl", 12: "other"}.__getitem__)
    e2e.note_roles(roles, {11, 12}, {11: "other", 12: "other"}.__getitem__)
    assert roles == {11: "crawl", 12: "other"}
