"""Settings from the environment, and the two catalogs: same keys, same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from bot.config import ConfigError, Secret, Settings, parse_env_file
from bot.core.models import Kind
from bot.i18n import LANGS, catalog, t

ROOT = Path(__file__).resolve().parent.parent


def test_settings_from_env_and_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('BOT_TOKEN="123:abc"\n# comment\nBOT_ADMINS=1, 2\n'
                        "BOT_TZ=Asia/Ulaanbaatar\n")
    settings = Settings.from_env({"BOT_STAFF_CHAT": "-100123", "BOT_ADMINS": "7"}, env_file)
    assert settings.token.get() == "123:abc"
    assert settings.admins == frozenset({7})  # the real environment wins
    assert settings.staff_chat == -100123
    assert settings.api_url == "https://api.telegram.org"
    assert settings.data_dir == Path("data")


def test_secrets_do_not_show_in_reprs() -> None:
    settings = Settings(token=Secret("123:very-secret"))
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings.token)


def test_deadlines_per_kind() -> None:
    settings = Settings.from_mapping({"BOT_DEADLINE_DAYS": "report=15"})
    assert settings.deadline_for(Kind.REPORT) == 15
    assert settings.deadline_for(Kind.COMPLAINT) == 30


@pytest.mark.parametrize(("env", "name"), [
    ({"BOT_ADMINS": "1,x"}, "BOT_ADMINS"),
    ({"BOT_TZ": "Mars/Olympus"}, "BOT_TZ"),
    ({"BOT_DEADLINE_DAYS": "petition=3"}, "BOT_DEADLINE_DAYS"),
    ({"BOT_MAX_STATUS_TRIES": "0"}, "BOT_MAX_STATUS_TRIES"),
])
def test_bad_settings_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_mapping(env)


def test_env_example_is_parseable() -> None:
    values = parse_env_file((ROOT / ".env.example").read_text(encoding="utf-8"))
    assert "BOT_TOKEN" in values
    Settings.from_mapping(values)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogs_have_every_key_with_the_same_placeholders() -> None:
    mn, en = catalog("mn"), catalog("en")
    assert set(mn) == set(en)
    for key in mn:
        assert _fields(mn[key]) == _fields(en[key]), key


def test_every_key_the_code_uses_exists() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))
    literal = set(re.findall(r"\bt\([^,()]+,\s*\"([a-z_.]+)\"", source))
    literal |= set(re.findall(r"menu_button\(\"([a-z_.]+)\"\)", source))
    prefixes = set(re.findall(r"\bt\([^,()]+,\s*f\"([a-z_.]+)\{", source))
    assert len(literal) > 100
    for lang in LANGS:
        keys = set(catalog(lang))
        assert literal <= keys, (lang, sorted(literal - keys))
        for prefix in prefixes:
            assert any(k.startswith(prefix) for k in keys), (lang, prefix)


def test_mongolian_is_the_default_and_has_its_letters() -> None:
    assert t("xx", "menu.complain") == catalog("mn")["menu.complain"]
    joined = " ".join(catalog("mn").values())
    assert "ө" in joined and "ү" in joined
