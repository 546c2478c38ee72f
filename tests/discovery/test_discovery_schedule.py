"""Adaptive polling intervals and validators, on a fake clock (no sleeping)."""

from __future__ import annotations

from kabar.discovery.schedule import MAX_VALIDATORS, Intervals, Schedule, SourceKey, Validators


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


FEED = SourceKey("warta", "feed", "https://warta.example.id/rss")
MAP = SourceKey("warta", "sitemap", "https://warta.example.id/sitemap.xml")


def _schedule(clock: FakeClock) -> Schedule:
    return Schedule(Intervals(base=300, minimum=60, maximum=3600, busy=5), clock)


def test_new_sources_are_due_at_once_then_after_their_interval() -> None:
    clock = FakeClock()
    schedule = _schedule(clock)
    schedule.add(FEED)
    assert schedule.due() == [FEED]
    assert schedule.record_poll(FEED, 10) == 300  # the first poll never adapts
    assert schedule.due() == []
    assert schedule.wait_time(FEED) == 300
    clock.now += 299
    assert schedule.due() == []
    clock.now += 1
    assert schedule.due() == [FEED]


def test_quiet_sources_back_off_to_the_maximum() -> None:
    schedule = _schedule(FakeClock())
    schedule.add(FEED)
    schedule.record_poll(FEED, 3)
    seen = [schedule.record_poll(FEED, 0) for _ in range(6)]
    assert seen == [600, 1200, 2400, 3600, 3600, 3600]


def test_busy_sources_speed_up_to_the_minimum_and_moderate_ones_hold() -> None:
    schedule = _schedule(FakeClock())
    schedule.add(FEED)
    schedule.record_poll(FEED, 0)
    assert schedule.record_poll(FEED, 2) == 300
    assert [schedule.record_poll(FEED, 9) for _ in range(4)] == [150, 75, 60, 60]


def test_failures_back_off_and_overrides_are_clamped() -> None:
    schedule = _schedule(FakeClock())
    schedule.add(FEED, interval=10)  # below the minimum
    schedule.add(MAP, interval=900)
    assert schedule.state(FEED).interval == 60
    assert schedule.record_failure(MAP) == 1800
    schedule.add(MAP, interval=30)  # adding again keeps the existing state
    assert schedule.state(MAP).interval == 1800


def test_validators_are_remembered_per_url_and_bounded() -> None:
    schedule = _schedule(FakeClock())
    assert schedule.validators(FEED.url) == Validators()
    schedule.remember(FEED.url, '"v1"', "Fri, 01 May 2026 00:00:00 GMT")
    assert schedule.validators(FEED.url) == Validators('"v1"', "Fri, 01 May 2026 00:00:00 GMT")
    schedule.remember(FEED.url, None, None)
    assert schedule.validators(FEED.url) == Validators()
    for number in range(MAX_VALIDATORS + 1):
        schedule.remember(f"https://x.example.id/{number}", f'"{number}"', None)
    assert schedule.validators("https://x.example.id/0") == Validators()
    assert schedule.validators(f"https://x.example.id/{MAX_VALIDATORS}").etag is not None
