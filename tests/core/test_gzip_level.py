"""The producers' gzip level (kabar.publish.GZIP_LEVEL): the batch is compressed at
that level and reads back as the same records."""

from __future__ import annotations

import gzip
import subprocess
import sys

from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords

from kabar import publish

GZIP = 1  # the Kafka attribute code of gzip


def _batch(values: list[bytes]) -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=GZIP, is_transactional=0, producer_id=-1,
        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for offset, value in enumerate(values):
        builder.append(offset, timestamp=None, key=b"k%d" % offset, value=value, headers=[])
    return bytes(builder.build())


def test_batches_are_gzipped_at_the_chosen_level_and_read_back_unchanged() -> None:
    publish.use_gzip_level()  # what each producer factory does before it builds one
    values = [f"Berita nomor {i} tentang jalan desa yang diperbaiki warga. ".encode() * 40
              for i in range(5)]
    raw = _batch(values)
    start = raw.index(b"\x1f\x8b\x08")  # the gzip member holding the records
    # Byte 8 of a gzip header (XFL) says how it was compressed: 4 fastest, 2 best.
    assert publish.GZIP_LEVEL == 1 and raw[start + 8] == 4
    assert gzip.decompress(raw[start:])  # a whole member
    batch = MemoryRecords(raw).next_batch()
    assert batch is not None
    assert [record.value for record in batch] == values
    assert len(raw) < sum(map(len, values)) // 4


def test_importing_kabar_leaves_aiokafka_alone_until_a_producer_is_configured() -> None:
    # A fresh interpreter: this test process has already had the level set above.
    probe = (
        "from aiokafka.record import default_records as d\n"
        "import kabar.publish, kabar.transact\n"
        "from kabar.publish import Publisher\n"
        "from kabar.settings import BrokerSettings\n"
        "before = getattr(d.gzip_encode, 'keywords', {})\n"
        "Publisher(BrokerSettings(), '127.0.0.1:1')._producer_config()\n"
        "print(before, d.gzip_encode.keywords)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["{}", "{'compresslevel':", "1}"]


def test_a_batch_compresses_to_the_same_bytes_every_time() -> None:
    # One zlib call with no timestamp in the gzip header: the same records make the
    # same batch whenever they are built (the header's time field is zero).
    publish.use_gzip_level()
    values = [b"Warga desa memperbaiki jalan yang rusak setelah banjir. " * 30]
    raw = _batch(values)
    start = raw.index(b"\x1f\x8b\x08")
    assert raw[start + 4 : start + 8] == b"\0\0\0\0"
    batch = MemoryRecords(raw).next_batch()
    assert batch is not None and [record.value for record in batch] == values
