"""How every Kafka client Kabar makes (producer, admin, consumers, ``kabar tail``)
authenticates: one function turns ``[broker]`` security settings into aiokafka
keyword arguments, so managed Kafka (SASL PLAIN/SCRAM over TLS, mutual TLS)
works the same for all of them."""

from __future__ import annotations

import ssl
from typing import Any

from kabar.settings import BrokerSettings


def client_options(settings: BrokerSettings) -> dict[str, Any]:
    """aiokafka keyword arguments for the configured security protocol."""
    protocol = settings.security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = tls_context(settings)
    if protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password
    return options


def tls_context(settings: BrokerSettings) -> ssl.SSLContext:
    """Verify the brokers against ``ssl_cafile`` (else the system CAs); present a client
    certificate when one is configured."""
    context = ssl.create_default_context(cafile=settings.ssl_cafile or None)
    context.check_hostname = settings.ssl_check_hostname
    if settings.ssl_certfile:
        context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile or None)
    return context
