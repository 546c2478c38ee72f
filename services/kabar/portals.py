"""Portal names: one spelling for the page's ("KOMPAS.com"), the config's ("kompas")
and the rules' ("kompas.com"), resolving a user's ``--portal``, and the table of
supported portals that ``kabar portals`` prints."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from kabar.errors import ConfigError

#: Domain endings dropped from a portal's name (longest first).
_SUFFIXES = (".co.id", ".com", ".co", ".id", ".net", ".org")


def normalize_portal(name: str) -> str:
    """"KOMPAS.com", " Kompas ", "www.kompas.com" and "kompas" are all "kompas"; other
    endings stay ("kompas.tv" is another portal)."""
    name = name.strip().lower().removeprefix("www.")
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True, slots=True)
class PortalInfo:
    """One row of ``kabar portals``."""

    name: str
    rules: str  # the rules file's portal name ("" when none)
    verified: bool
    hosts: tuple[str, ...]
    configured: bool
    sources: int  # feeds + sitemaps + sections in the config


def rules_name(portal: str) -> str | None:
    """The shipped rules for a portal name in any spelling, or None."""
    from kabar.extract.rules import all_rules

    wanted = portal.strip().lower()
    for rules in all_rules():
        if rules.name == wanted:
            return rules.name
    matches = [r.name for r in all_rules() if normalize_portal(r.name) == normalize_portal(wanted)]
    return matches[0] if len(matches) == 1 else None


def resolve_portal(portal: str, configured: list[str]) -> str:
    """What ``--portal`` names: shipped rules or a configured portal; else an error
    naming the closest known one."""
    found = rules_name(portal)
    if found is not None:
        return found
    if normalize_portal(portal) in configured:
        return normalize_portal(portal)
    known = sorted({*(normalize_portal(n) for n in known_rule_names()), *configured})
    match = difflib.get_close_matches(normalize_portal(portal), known, n=1, cutoff=0.6)
    hint = f" (did you mean {match[0]!r}?)" if match else " (`kabar portals` lists them)"
    raise ConfigError(f"unknown portal {portal!r}{hint}")


def known_rule_names() -> list[str]:
    from kabar.extract.rules import all_rules

    return [r.name for r in all_rules()]


def portal_table(configured: dict[str, int]) -> list[PortalInfo]:
    """Every portal with shipped rules or in the config (name → source count)."""
    from kabar.extract.rules import all_rules

    rows: dict[str, PortalInfo] = {}
    for rules in all_rules():
        name = normalize_portal(rules.name)
        rows[name] = PortalInfo(name, rules.name, rules.verified, rules.hosts,
                                name in configured, configured.get(name, 0))
    for name, sources in configured.items():
        if name not in rows:
            found = rules_name(name)
            rows[name] = PortalInfo(name, found or "", False, (), True, sources)
    return sorted(rows.values(), key=lambda r: r.name)
