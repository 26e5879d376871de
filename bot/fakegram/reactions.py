"""Reactions as the Bot API shows them: ReactionType objects and the emoji Telegram allows."""

from __future__ import annotations

from collections.abc import Mapping

from .wire import JSON

# ReactionTypeEmoji.emoji: the only emoji Telegram accepts as reactions (Bot API 7+). Note the
# heart is U+2764 without a variation selector.
REACTION_EMOJI = frozenset(
    (  # noqa: SIM905 - one line per dozen reads better than 73 list items
        "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 "
        "🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 "
        "❤\ufe0f\u200d🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 "
        "🍾 💋 🖕 😈 😴 😭 🤓 👻 👨\u200d💻 👀 🎃 🙈 "
        "😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 "
        "🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 🤷\u200d♂\ufe0f 🤷 🤷\u200d♀\ufe0f "
        "😡 "
    ).split()
)
PAID = "paid"  # the key for the paid (Telegram Star) reaction
CUSTOM_EMOJI_PREFIX = "custom_emoji:"  # "custom_emoji:<custom_emoji_id>"


def reaction_type(key: str) -> JSON:
    """A ReactionType from an emoji, ``"paid"`` or ``"custom_emoji:<id>"``."""
    if key == PAID:
        return {"type": "paid"}
    if key.startswith(CUSTOM_EMOJI_PREFIX):
        custom_emoji_id = key.removeprefix(CUSTOM_EMOJI_PREFIX)
        if not custom_emoji_id:
            raise ValueError("a custom emoji reaction needs an id: 'custom_emoji:<id>'")
        return {"type": "custom_emoji", "custom_emoji_id": custom_emoji_id}
    if key not in REACTION_EMOJI:
        hint = " (Telegram's heart is '\\u2764' without U+FE0F)" if key == "\u2764\ufe0f" else ""
        raise ValueError(f"{key!r} is not a reaction Telegram allows{hint}")
    return {"type": "emoji", "emoji": key}


def reaction_counts(totals: Mapping[str, int]) -> list[JSON]:
    """ReactionCount objects, largest first; reactions with no count are left out."""
    counts: list[JSON] = []
    for key, total in totals.items():
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise ValueError(f"the count of {key!r} must be a whole number >= 0, not {total!r}")
        kind = reaction_type(key)
        if total:
            counts.append({"type": kind, "total_count": total})
    return sorted(counts, key=lambda count: -int(count["total_count"]))
