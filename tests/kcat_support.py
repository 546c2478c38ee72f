"""Read a topic from the embedded Tansu broker with kcat, a non-Python client.

kcat 1.7.1 as packaged by Debian embeds librdkafka 2.0.2, which cannot talk to
Tansu 0.6.0 with default settings. Two wire-level incompatibilities, both
verified byte by byte against a running broker:

1. ApiVersions v3. librdkafka always opens a connection with ApiVersions v3
   while ``broker.version.fallback`` is >= 0.10.0 (even with
   ``api.version.request=false``). Tansu's response ends with four tagged fields
   (SupportedFeatures, FinalizedFeaturesEpoch, FinalizedFeatures,
   ZkMigrationReady), correctly encoded but all at their default values, which
   Apache Kafka itself never sends. librdkafka before 2.2.0 skips only
   ``length - 1`` bytes per tagged field (fixed upstream in
   confluentinc/librdkafka#4278), so with several tags it loses sync and reports
   "Read underflow ... expected 216172782113783806 bytes".
2. ListOffsets v0. Tansu's response omits the ``old_style_offsets`` array, so
   librdkafka cannot resolve the logical offsets ``beginning``/``end``.

Neither Tansu 0.6.0 nor librdkafka 2.0.2 has a setting that changes this, so
kcat skips both requests instead. It uses ``broker.version.fallback=0.9.0`` with
``api.version.request=false``, which is the legacy, pre-ApiVersions protocol
(Metadata v0, Fetch v1), and absolute offset 0. This works because librdkafka
picks the record parser by the magic byte of each batch, so the v2 record
batches Tansu returns still come back with their keys and headers. No proxy sits
in between: every byte kcat reads comes straight from the real broker.
Consequence: reading from offset 0 requires a log that still starts at 0, which
is the case for Tansu's memory storage.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import TypedDict

from kabar.errors import BrokerError

DEBIAN_KCAT = "/usr/bin/kcat"

#: Speak the pre-ApiVersions protocol; see the module docstring for why.
LEGACY_PROTOCOL = ("-X", "api.version.request=false", "-X", "broker.version.fallback=0.9.0")


class KcatMessage(TypedDict):
    """One record as kcat saw it; bytes are exactly what the producer sent."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


def kcat_binary() -> str | None:
    """The Debian kcat when installed, else any kcat on PATH, else None."""
    if os.access(DEBIAN_KCAT, os.X_OK):
        return DEBIAN_KCAT
    return shutil.which("kcat")


def kcat_command(kcat: str, bootstrap: str, topic: str, count: int) -> list[str]:
    """Consume ``count`` records from offset 0 of every partition as JSON lines."""
    consume = ["-C", "-t", topic, "-o", "0", "-c", str(count), "-J"]
    return [kcat, "-b", bootstrap, *LEGACY_PROTOCOL, *consume]


def kcat_consume(bootstrap: str, topic: str, count: int, timeout_s: float) -> list[KcatMessage]:
    """Run kcat until it has read ``count`` records; raise if it fails or times out."""
    kcat = kcat_binary()
    if kcat is None:
        raise BrokerError("kcat is not installed", reason="kcat_missing")
    cmd = kcat_command(kcat, bootstrap, topic, count)
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        detail = f"kcat read fewer than {count} records of {topic} in {timeout_s}s"
        raise BrokerError(f"{detail}: {_tail(exc.stderr)}", reason="kcat_timeout") from exc
    if done.returncode != 0:
        detail = f"kcat exited with {done.returncode}: {_tail(done.stderr)}"
        raise BrokerError(detail, reason="kcat_failed")
    return parse_kcat_json(done.stdout)


def parse_kcat_json(stdout: bytes) -> list[KcatMessage]:
    """Parse ``kcat -J`` lines, recovering the exact key/value/header bytes.

    kcat copies non-UTF-8 bytes into its JSON unescaped, so the text is decoded
    with ``surrogateescape`` and each string encoded back the same way.
    """
    text = stdout.decode("utf-8", "surrogateescape")
    return [_message(json.loads(line)) for line in text.splitlines() if line.strip()]


def _message(obj: dict[str, object]) -> KcatMessage:
    flat = obj.get("headers") or []
    if not isinstance(flat, list):
        raise BrokerError("kcat headers are not a JSON list", reason="kcat_bad_output")
    return KcatMessage(
        topic=str(obj["topic"]),
        partition=int(str(obj["partition"])),
        offset=int(str(obj["offset"])),
        key=_bytes(obj.get("key")),
        value=_bytes(obj.get("payload")),
        headers=[(str(flat[i]), _bytes(flat[i + 1])) for i in range(0, len(flat), 2)],
    )


def _bytes(field: object) -> bytes | None:
    return None if field is None else str(field).encode("utf-8", "surrogateescape")


def _tail(stderr: bytes | str | None, limit: int = 400) -> str:
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    return (stderr or "").strip()[-limit:]
