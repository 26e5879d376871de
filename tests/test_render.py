"""Splitting long HTML for Telegram: never inside a tag or an entity, never over the limit."""

from __future__ import annotations

import html
import re

from bot.tg.common import CHUNK, chunks, pack

TAG = re.compile(r"</?[a-z]+>")


def _balanced(message: str) -> bool:
    depth = 0
    for tag in TAG.findall(message):
        depth += -1 if tag.startswith("</") else 1
        if depth < 0:
            return False
    return depth == 0


def test_pack_never_cuts_a_block_of_our_html() -> None:
    blocks = [f"— <i>2026.12.0{i % 9 + 1} · Байгууллага</i>\n" + html.escape("х & у " * 90)
              for i in range(40)]
    messages = pack(blocks)
    assert len(messages) > 1
    assert all(len(m) <= CHUNK for m in messages)
    assert all(_balanced(m) for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(blocks)


def test_a_long_escaped_text_is_cut_between_words_and_never_inside_an_entity() -> None:
    text = html.escape("Өө&Үү<" * 2000)  # no spaces at all
    parts = chunks(text)
    assert all(len(p) <= CHUNK for p in parts)
    assert "".join(parts) == text
    for part in parts:
        assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", part), part[-12:]


def test_digest_lines_pack_into_several_messages_between_lines() -> None:
    line = "№{} · гомдол · Баян-Өндөр сум · Хүлээн авсан · хугацаа 2026.12.31"
    lines = [line.format(i) for i in range(90)]
    messages = pack(lines, sep="\n")
    assert len(messages) >= 2
    assert "\n".join(messages) == "\n".join(lines)
