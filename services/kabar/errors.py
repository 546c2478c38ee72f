"""Kabar's exception tree. Every error carries a ``reason``: a short, fixed,
snake_case word used as a Prometheus label and as ``reason`` in the
``kabar.errors.v1`` dead-letter events, so it must never contain a URL or
free text (that goes in ``detail``).

    KabarError
    ├── ConfigError                 bad TOML, unknown key, bad env override
    ├── FetchError                  stage "fetch"
    │   ├── NetworkError            connect_error, dns_failure, timeout, read_error
    │   ├── HTTPStatusError         http_4xx / http_5xx (+ status), rate_limited
    │   ├── BlockedError            robots_disallowed, private_address, redirect_loop,
    │   │                           too_many_redirects, bad_url
    │   └── ContentError            not_html, too_large, empty_body, bad_charset,
    │                               decompression_bomb; feeds and sitemaps: not_xml,
    │                               malformed_xml, xml_dtd_refused, too_many_entries,
    │                               xml_too_large, xml_too_deep, not_sitemap; HTML before
    │                               parsing (kabar.htmlguard): html_too_large,
    │                               html_too_deep, html_too_complex; parse_timeout
    ├── ExtractError                stage "extract"
    │   ├── NotAnArticleError       not_article
    │   ├── EmptyBodyError          empty_body
    │   └── BadInputError           binary_input, bad_charset, malformed_html
    ├── DedupError                  stage "dedup": state_error, state_unwritable,
    │                               dense_unavailable
    ├── StateError                  stage "state": state_corrupt, state_unwritable
    │                               (a SQLite state file cannot be opened or written)
    ├── PublishError                stage "publish": broker_unavailable, publish_timeout,
    │                               message_too_large
    └── BrokerError                 embedded broker could not start: broker_start_failed
"""

from __future__ import annotations

from typing import ClassVar


class KabarError(Exception):
    """Base of all Kabar errors."""

    stage: ClassVar[str] = "kabar"
    default_reason: ClassVar[str] = "error"

    def __init__(self, detail: str = "", *, reason: str | None = None, url: str | None = None):
        self.reason = reason or self.default_reason
        self.detail = detail or self.reason
        self.url = url
        super().__init__(f"{self.reason}: {self.detail}")


class ConfigError(KabarError):
    stage = "config"
    default_reason = "bad_config"


class FetchError(KabarError):
    stage = "fetch"
    default_reason = "fetch_failed"

    #: Whether trying again later may succeed (timeouts, 5xx, 429).
    retryable: bool = False


class NetworkError(FetchError):
    default_reason = "connect_error"
    retryable = True


class HTTPStatusError(FetchError):
    default_reason = "http_error"

    def __init__(
        self,
        detail: str = "",
        *,
        status: int,
        reason: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ):
        self.status = status
        self.retry_after = retry_after
        if reason is None:
            reason = "rate_limited" if status == 429 else f"http_{status // 100}xx"
        self.retryable = status in (408, 425, 429) or status >= 500
        super().__init__(detail or f"HTTP {status}", reason=reason, url=url)


class BlockedError(FetchError):
    default_reason = "blocked"


class ContentError(FetchError):
    default_reason = "bad_content"


class ExtractError(KabarError):
    stage = "extract"
    default_reason = "extract_failed"


class NotAnArticleError(ExtractError):
    default_reason = "not_article"


class EmptyBodyError(ExtractError):
    default_reason = "empty_body"


class BadInputError(ExtractError):
    default_reason = "bad_input"


class DedupError(KabarError):
    stage = "dedup"
    default_reason = "state_error"


class StateError(KabarError):
    stage = "state"
    default_reason = "state_error"


class PublishError(KabarError):
    stage = "publish"
    default_reason = "broker_unavailable"


class BrokerError(KabarError):
    stage = "broker"
    default_reason = "broker_start_failed"
