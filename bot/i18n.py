"""Every citizen- and staff-facing text, looked up by key in `bot/locales/<lang>/*.toml`.

Each language is a folder of catalogs, one per area of the bot (`main.toml`, `posts.toml` …),
merged into one key space; a key defined in two files of a language is an error.

Mongolian is the default for everyone; English is the second language. Placeholders use
`str.format` names (`{number}`); values are HTML-escaped by the caller where needed.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("mn", "en")
DEFAULT_LANG = "mn"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(f"{name}.", value, out)
        elif isinstance(value, str):
            out[name] = value
        else:
            raise TypeError(f"catalog key {name}: expected text, got {type(value).__name__}")


@cache
def catalog(lang: str) -> dict[str, str]:
    """The flat key → text mapping of one language."""
    out: dict[str, str] = {}
    folder = resources.files("bot") / "locales" / lang
    for file in sorted((f for f in folder.iterdir() if f.name.endswith(".toml")),
                       key=lambda f: f.name):
        part: dict[str, str] = {}
        _flatten("", tomllib.loads(file.read_text(encoding="utf-8")), part)
        if clash := part.keys() & out.keys():
            raise KeyError(f"{lang}/{file.name} defines keys defined before: {sorted(clash)}")
        out |= part
    return out


def t(lang: str, key: str, /, **params: object) -> str:
    """The text for `key` in `lang` (Mongolian if the language or key is missing)."""
    if lang not in LANGS:
        lang = DEFAULT_LANG
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANG)[key]
    return text.format(**params) if params else text


def all_langs(key: str) -> set[str]:
    """The text of `key` in every language (for matching reply-keyboard buttons)."""
    return {catalog(lang)[key] for lang in LANGS}
