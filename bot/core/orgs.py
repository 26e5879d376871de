"""Whom a submission can concern: organizations and soums from `content/organizations.yaml`.

Staff edit the file; the bot re-reads it when it changes, and keeps the last good list
(and says why) when an edit breaks it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")


class ContentError(ValueError):
    """A content file is broken; the message names the file, the field and the reason."""

    def __init__(self, path: Path, field: str, reason: str) -> None:
        super().__init__(f"{path}: {field}: {reason}")
        self.path, self.field, self.reason = path, field, reason


@dataclass(frozen=True)
class Org:
    """One body or soum a complaint can concern."""

    code: str
    names: dict[str, str]
    group: str

    def name(self, lang: str) -> str:
        """The name in `lang`, falling back to Mongolian."""
        return self.names.get(lang) or self.names["mn"]


@dataclass(frozen=True)
class OrgGroup:
    """A heading in the list (soums, agencies, schools …)."""

    code: str
    names: dict[str, str]
    items: tuple[Org, ...]

    def name(self, lang: str) -> str:
        """The heading in `lang`, falling back to Mongolian."""
        return self.names.get(lang) or self.names["mn"]


def _names(path: Path, where: str, entry: dict[str, Any]) -> dict[str, str]:
    names = {lang: entry[lang] for lang in ("mn", "en") if isinstance(entry.get(lang), str)}
    if not names.get("mn", "").strip():
        raise ContentError(path, f"{where}.mn", "a Mongolian name is required")
    return {k: v.strip() for k, v in names.items()}


def parse_orgs(path: Path, text: str) -> tuple[OrgGroup, ...]:
    """Validate and build the list; raises `ContentError` on the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ContentError(path, "(file)", f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
        raise ContentError(path, "groups", "expected a list of groups")
    groups, seen = [], set()
    for gi, group in enumerate(data["groups"]):
        where = f"groups[{gi}]"
        if not isinstance(group, dict):
            raise ContentError(path, where, "expected a mapping")
        code = group.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            raise ContentError(path, f"{where}.code", "1–24 of a-z, 0-9, - (starting a-z0-9)")
        items = group.get("items")
        if not isinstance(items, list) or not items:
            raise ContentError(path, f"{where}.items", "expected a non-empty list")
        orgs = []
        for ii, item in enumerate(items):
            iwhere = f"{where}.items[{ii}]"
            if not isinstance(item, dict):
                raise ContentError(path, iwhere, "expected a mapping")
            icode = item.get("code")
            if not isinstance(icode, str) or not _CODE.match(icode):
                raise ContentError(path, f"{iwhere}.code", "1–24 of a-z, 0-9, -")
            if icode in seen:
                raise ContentError(path, f"{iwhere}.code", f"duplicate code {icode!r}")
            seen.add(icode)
            orgs.append(Org(code=icode, names=_names(path, iwhere, item), group=code))
        groups.append(OrgGroup(code=code, names=_names(path, where, group), items=tuple(orgs)))
    return tuple(groups)


class OrgDirectory:
    """The current list, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._groups: tuple[OrgGroup, ...] = ()
        self._mtime: float | None = None
        self.last_error: ContentError | None = None
        self.refresh()

    def refresh(self) -> ContentError | None:
        """Re-read the file if it changed; returns a new error to report, once."""
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            error = ContentError(self.path, "(file)", "missing")
            return self._fail(error)
        if mtime == self._mtime:
            return None
        self._mtime = mtime
        try:
            self._groups = parse_orgs(self.path, self.path.read_text(encoding="utf-8"))
        except ContentError as error:
            return self._fail(error)
        self.last_error = None
        return None

    def _fail(self, error: ContentError) -> ContentError | None:
        if self.last_error is not None and str(self.last_error) == str(error):
            return None
        self.last_error = error
        log.error("organization list not loaded, keeping the previous one: %s", error)
        return error

    @property
    def groups(self) -> tuple[OrgGroup, ...]:
        """The groups, in file order."""
        return self._groups

    def group(self, code: str) -> OrgGroup | None:
        """A group by code."""
        return next((g for g in self._groups if g.code == code), None)

    def get(self, code: str | None) -> Org | None:
        """An organization by code (None for "not sure" or an unknown code)."""
        if code is None:
            return None
        return next((o for g in self._groups for o in g.items if o.code == code), None)
