"""URL canonicalization, shared by the seen-URL store and dedup.

Two URLs that name the same article must canonicalize to the same string:
lowercase scheme and host, no default port, no fragment, no tracking
parameters, remaining query parameters sorted, AMP and mobile variants mapped
to the desktop article (``m.``/``amp.``/``mobile.`` hosts, ``/amp/`` path
segments, ``?amp=1``/``?outputType=amp``), and ``?page=all``-style "show all"
views kept apart from pagination only where they matter.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

_TRACKERS = re.compile(
    r"^(utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl"
    r"|ref|ref_src|source|src|cmpid|campaign|share|from|spm|amp|outputtype|_ref|utm)$",
    re.IGNORECASE,
)
_MOBILE_HOST = re.compile(r"^(m|amp|mobile|wap)\.", re.IGNORECASE)
#: Portals serve m.x.com beside www.x.com, so a mobile host maps to www.
_DESKTOP_PREFIX = "www."
_AMP_SEGMENT = re.compile(r"/amp(?=/|$)|\.amp$", re.IGNORECASE)
_MULTI_SLASH = re.compile(r"/{2,}")


def canonicalize(url: str) -> str:
    """Return the canonical form of an absolute http(s) URL (others unchanged)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = _canonical_host(parts.hostname, parts.port, scheme)
    path = _canonical_path(parts.path)
    query = _canonical_query(parts.query)
    return urlunsplit(("https" if scheme == "https" else "http", host, path, query, ""))


def url_key(url: str) -> str:
    """Stable 32-hex key of a URL's canonical form (the Kafka message key)."""
    return hashlib.sha256(canonicalize(url).encode("utf-8")).hexdigest()[:32]


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _canonical_host(hostname: str, port: int | None, scheme: str) -> str:
    host = hostname.lower().rstrip(".")
    host = _MOBILE_HOST.sub(_DESKTOP_PREFIX, host) if host.count(".") >= 2 else host
    default = 443 if scheme == "https" else 80
    if port is not None and port != default:
        return f"{host}:{port}"
    return host


def _canonical_path(path: str) -> str:
    path = _MULTI_SLASH.sub("/", path or "/")
    path = _AMP_SEGMENT.sub("", path) or "/"
    # Normalize percent-encoding so /a%20b and /a b compare equal.
    path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~")
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    query = query.replace("&amp;", "&")  # HTML-escaped links copied from feeds
    pairs = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _TRACKERS.match(k)
    ]
    return urlencode(sorted(pairs))
