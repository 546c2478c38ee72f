"""Kafka security settings reach every client Kabar makes: a real Tansu behind a
TLS-terminating proxy started here (self-signed CA made with openssl, client
certificate required), with Kabar's admin, producer and a consumer built from
``[broker]`` settings through ``kafka_security.client_options``."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from kabar.broker import free_port, tansu_binary
from kabar.errors import PublishError
from kabar.events import ce_headers
from kabar.kafka_security import client_options
from kabar.publish import Outgoing, Publisher, ensure_topics
from kabar.rundir import port_open
from kabar.settings import BrokerSettings

TOPIC = "tls.articles.v1"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed (apt-get install openssl)")
    d = tmp_path_factory.mktemp("certs")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=kabar test CA", cwd=d)
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name in ("server", "client"):
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN=kabar {name}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", "san.ext",
                 cwd=d)
    return d


@pytest.fixture(scope="module")
def tls_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def tansu_behind(tls_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Tansu on a plain port that tells clients to come back through the TLS port."""
    port = free_port()
    log = (tmp_path_factory.mktemp("tansu") / "tansu.log").open("ab")
    proc = subprocess.Popen(
        [tansu_binary(), "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
         "--advertised-listener-url", f"tcp://127.0.0.1:{tls_port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while not port_open("127.0.0.1", port):
        assert proc.poll() is None and time.monotonic() < deadline, "tansu did not start"
        time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@contextlib.asynccontextmanager
async def tls_proxy(listen: int, target: int, certs: Path) -> AsyncIterator[list[str]]:
    """Terminate TLS (client certificate required) and forward bytes to ``target``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs / "ca.pem"))
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED
    peers: list[str] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cert = writer.get_extra_info("peercert") or {}
        peers.append(str(dict(x[0] for x in cert.get("subject", ())).get("commonName")))
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", listen, ssl=context)
    try:
        yield peers
    finally:
        server.close()


def tls_settings(certs: Path, tls_port: int, **extra: object) -> BrokerSettings:
    settings = BrokerSettings(
        bootstrap_servers=f"127.0.0.1:{tls_port}", security_protocol="SSL",
        ssl_cafile=str(certs / "ca.pem"), ssl_certfile=str(certs / "client.pem"),
        ssl_keyfile=str(certs / "client.key"), articles_topic=TOPIC, partitions=1,
        connect_timeout_s=10, idempotence="auto",
    )
    for key, value in extra.items():
        setattr(settings, key, value)
    return settings


async def test_admin_producer_and_consumer_speak_tls(
    certs: Path, tls_port: int, tansu_behind: int
) -> None:
    settings = tls_settings(certs, tls_port)
    async with tls_proxy(tls_port, tansu_behind, certs) as peers:
        await ensure_topics(settings, settings.bootstrap_servers)
        publisher = Publisher(settings, settings.bootstrap_servers)
        await publisher.start()
        try:
            await publisher.send(Outgoing(TOPIC, b"k", b'{"title": "lewat TLS"}',
                                          ce_headers("article.created", "e1", "article.v1.json",
                                                     "kabar")))
        finally:
            await publisher.stop()
        consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=settings.bootstrap_servers,
                                    group_id=None, auto_offset_reset="earliest",
                                    **client_options(settings))
        await consumer.start()
        try:
            values: list[bytes] = []
            deadline = time.monotonic() + 30
            while not values and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                values += [m.value for msgs in batch.values() for m in msgs]
        finally:
            await consumer.stop()
    assert values == [b'{"title": "lewat TLS"}']
    assert set(peers) == {"kabar client"}  # every connection presented the client cert


async def test_wrong_ca_is_refused(certs: Path, tls_port: int, tansu_behind: int) -> None:
    # The server cert is not signed by the system CAs: without ssl_cafile nothing connects.
    settings = tls_settings(certs, tls_port, ssl_cafile="", connect_timeout_s=3)
    async with tls_proxy(tls_port, tansu_behind, certs):
        with pytest.raises(PublishError, match="cannot connect"):
            await ensure_topics(settings, settings.bootstrap_servers)


async def test_sasl_settings_become_client_options(certs: Path) -> None:
    settings = BrokerSettings(bootstrap_servers="b:9093", security_protocol="SASL_SSL",
                              sasl_mechanism="SCRAM-SHA-512", sasl_username="kabar",
                              sasl_password="rahasia", ssl_cafile=str(certs / "ca.pem"))
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_mechanism"], options["sasl_plain_username"],
            options["sasl_plain_password"]) == ("SCRAM-SHA-512", "kabar", "rahasia")
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert client_options(BrokerSettings()) == {"security_protocol": "PLAINTEXT"}
    # aiokafka accepts them as they are (constructing a client validates the combination)
    consumer = AIOKafkaConsumer("t", bootstrap_servers="b:9093", **options)
    assert consumer._client._sasl_mechanism == "SCRAM-SHA-512"


def test_every_kafka_client_takes_the_security_options() -> None:
    """Each aiokafka client built in the service (benches aside, they use the embedded
    broker) gets keyword arguments spread in: ``client_options`` of ``[broker]``."""
    import ast

    root = Path(__file__).resolve().parents[2] / "services/kabar"
    clients = {"AIOKafkaConsumer", "AIOKafkaProducer", "AIOKafkaAdminClient", "AIOKafkaClient"}
    found = []
    for path in sorted(root.rglob("*.py")):
        if "bench" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in clients:
                spread = [k for k in node.keywords if k.arg is None]
                found.append((path.name, node.lineno, bool(spread)))
    assert len(found) >= 6
    assert [f for f in found if not f[2]] == []
