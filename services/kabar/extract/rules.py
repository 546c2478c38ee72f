"""Per-portal extraction rules, one TOML file per portal in ``extract/rules/``,
and the registry that finds the rules for a URL."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from kabar.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PortalRules:
    """How to read one portal's article pages."""

    name: str
    hosts: tuple[str, ...]
    body: tuple[str, ...] = ()
    clutter_selectors: tuple[str, ...] = ()
    line_patterns: tuple[str, ...] = ()
    tail_patterns: tuple[str, ...] = ()
    pagination_pattern: str | None = None
    date_formats: tuple[str, ...] = ()
    #: False: written from knowledge of the template, not checked against a real page.
    verified: bool = False

    def matches_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == h or host.endswith("." + h) for h in self.hosts)

    def portal_for(self, url: str | None) -> str:
        """The portal a page belongs to: the rule's name, or the sister site (a host of
        the rule sharing its template, "popmama.com" under idntimes.com) the URL is on."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".") if url else ""
        for known in self.hosts[1:]:
            if host == known or host.endswith("." + known):
                return known
        return self.name


def _tuple(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, ())
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_rules(data: dict[str, Any], source: str = "<rules>") -> PortalRules:
    """Build rules from one parsed TOML document."""
    try:
        return PortalRules(
            name=str(data["name"]),
            hosts=_tuple(data, "hosts"),
            body=_tuple(data, "body"),
            clutter_selectors=_tuple(data, "clutter_selectors"),
            line_patterns=_tuple(data, "line_patterns"),
            tail_patterns=_tuple(data, "tail_patterns"),
            pagination_pattern=data.get("pagination_pattern"),
            date_formats=_tuple(data, "date_formats"),
            verified=bool(data.get("verified", False)),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"bad portal rules {source}: {exc}") from exc


@lru_cache(maxsize=1)
def all_rules() -> tuple[PortalRules, ...]:
    """Every shipped portal rule, sorted by name."""
    folder = resources.files("kabar.extract").joinpath("rules")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            found.append(parse_rules(tomllib.loads(entry.read_text("utf-8")), entry.name))
    return tuple(sorted(found, key=lambda r: r.name))


@lru_cache(maxsize=256)
def rules_for_host(host: str) -> PortalRules | None:
    """The rules whose hosts cover ``host`` (most specific host wins)."""
    best: tuple[int, PortalRules] | None = None
    for rules in all_rules():
        if rules.matches_host(host):
            length = max(len(h) for h in rules.hosts if host.lower().endswith(h))
            if best is None or length > best[0]:
                best = (length, rules)
    return best[1] if best else None


def rules_for_url(url: str | None) -> PortalRules | None:
    """The rules for a page URL, or None for portals without rules."""
    if not url:
        return None
    host = urlsplit(url).hostname
    return rules_for_host(host) if host else None


def rules_by_name(name: str) -> PortalRules | None:
    """The rules named ``name`` (``"detik.com"``), or the only rules whose name starts
    with that label (``"detik"``); None when unknown or ambiguous (``"kompas"``)."""
    key = name.lower().strip()
    exact = [r for r in all_rules() if r.name == key]
    if exact:
        return exact[0]
    stems = [r for r in all_rules() if r.name.split(".")[0] == key]
    return stems[0] if len(stems) == 1 else None
