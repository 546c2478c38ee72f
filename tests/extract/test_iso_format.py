"""``to_iso`` formats the six UTC fields by hand: the result is the one strftime gives,
for any zone, either side of midnight, and for years written with fewer than four digits."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from kabar.extract.dates import to_iso


def test_to_iso_equals_strftime_of_the_utc_moment() -> None:
    rng = random.Random(7)
    zones = [timezone(timedelta(minutes=m)) for m in (-720, -420, -90, 0, 330, 420, 480, 840)]
    for _ in range(2000):
        moment = datetime(
            rng.randint(2, 9998),
            rng.randint(1, 12),
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
            rng.randint(0, 59),
            rng.randint(0, 999_999),
            tzinfo=rng.choice(zones),
        )
        utc = moment.astimezone(UTC)
        expected = f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc:%H:%M:%S}Z"
        assert to_iso(moment) == expected


def test_to_iso_crosses_midnight_into_the_utc_date() -> None:
    wib = timezone(timedelta(hours=7))
    assert to_iso(datetime(2024, 1, 1, 3, 0, tzinfo=wib)) == "2023-12-31T20:00:00Z"
    assert to_iso(datetime(999, 3, 5, 7, 8, 9, tzinfo=wib)) == "0999-03-05T00:08:09Z"
