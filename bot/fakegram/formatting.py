"""Message text after entity parsing: parse_mode parsers and the rules applied after them.

The parsers are ports of tdlib's ``parse_html``, ``parse_markdown_v2`` and ``parse_markdown``
(td/telegram/MessageEntity.cpp), with the same error wording and UTF-8 byte offsets, so text that
Telegram rejects is rejected here with the same ``can't parse entities: ...`` description.
Entity offsets and lengths are in UTF-16 code units, length limits in code points, as in tdlib.

One deliberate difference: an HTML ``&`` that does not start ``&lt;``, ``&gt;``, ``&amp;``,
``&quot;`` or a numeric reference is rejected, where tdlib keeps it verbatim. The Bot API
documentation requires it to be escaped, and text built from unescaped user input is precisely
the bug a test should catch before a ``<`` in a citizen's message breaks production.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .errors import bad_request
from .wire import JSON

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


class EntityParseError(ValueError):
    """A parse_mode error, worded as tdlib words it."""


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Text and entities as Telegram stores them."""

    text: str
    entities: tuple[JSON, ...] = ()

    def fields(self, text_key: str, entities_key: str) -> JSON:
        """Message fields, e.g. ``text``/``entities`` or ``caption``/``caption_entities``."""
        if not self.text:
            return {}
        result: JSON = {text_key: self.text}
        if self.entities:
            result[entities_key] = list(self.entities)
        return result


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def format_text(
    text: str, parse_mode: str, entities: Any, *, allow_empty: bool = False
) -> FormattedText:
    """Parse ``text`` the way sendMessage or a caption is parsed; raises ``BotApiError``."""
    mode = parse_mode.lower()
    if text and mode and mode != "none":
        parser = _PARSERS.get(mode)
        if parser is None:
            raise bad_request("Unsupported parse_mode")
        try:
            plain, found = parser(text)
        except EntityParseError as error:
            raise bad_request(f"Can't parse entities: {error}") from None
    else:
        plain, found = text, _explicit_entities(entities)
    return _trimmed(plain, found, allow_empty=allow_empty)


def checked_link(url: str) -> str | None:
    """A URL as Telegram accepts it for links and buttons (scheme added), or ``None``."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("tg", "ton"):
        return url if parts.netloc else None
    if scheme not in ("http", "https"):
        return None
    host = parts.hostname or ""
    return url if "." in host.strip(".") else None


# --- shared helpers ---------------------------------------------------------------------------

_SPACES = frozenset(" \t\r\n\0\v")  # tdlib's is_space, where "\0" also marks the end of text
_ALPHA = frozenset(string.ascii_letters)
_ALNUM = frozenset(string.ascii_letters + string.digits)
_DIGITS = frozenset(string.digits)
_HEX = frozenset(string.hexdigits)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _entity(kind: str, offset: int, length: int, **extra: Any) -> JSON:
    return {"type": kind, "offset": offset, "length": length, **extra}


def _sorted(entities: list[JSON]) -> list[JSON]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _link_entity(url: str, offset: int, length: int) -> JSON | None:
    """text_mention for ``tg://user?id=``, text_link for a valid URL, nothing otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "tg" and parts.netloc == "user":
        user_id = parse_qs(parts.query).get("id", [""])[0]
        if user_id.isdigit():
            user = {"id": int(user_id), "is_bot": False, "first_name": ""}
            return _entity("text_mention", offset, length, user=user)
    link = checked_link(url)
    return _entity("text_link", offset, length, url=link) if link else None


# --- HTML -------------------------------------------------------------------------------------

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_SPECIAL = re.compile(r"[<&]")


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    date: int
    offset: int  # UTF-16 offset in the output
    chunk: int  # index into the output chunks, to recover the tag's text


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Port of tdlib's decode_html_entity: the character and the index after it, or ``None``."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        code = 0
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in _HEX:
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while end < n and text[end] in _DIGITS:
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < n and text[end] in _ALPHA:
            end += 1
        named = _HTML_NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Port of tdlib's parse_html: plain text and entities, or ``EntityParseError``."""
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    def offset_of(k: int) -> int:
        return _byte_offset(text, k)

    chunks: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    stack: list[_OpenTag] = []
    i = 0
    while i < n:
        match = _HTML_SPECIAL.search(text, i)
        stop = match.start() if match else n
        if stop > i:
            chunk = text[i:stop]
            chunks.append(chunk)
            utf16 += utf16_len(chunk)
            i = stop
            continue
        if text[i] == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is None:
                raise EntityParseError(
                    f'Character "&" at byte offset {offset_of(i)} must be escaped as "&amp;"'
                )
            char, i = decoded
            if 0xD800 <= ord(char) <= 0xDFFF:
                raise EntityParseError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                )
            chunks.append(char)
            utf16 += utf16_len(char)
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset_of(begin)}")
            name = text[begin + 1 : i].lower()
            if name not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{name}" at byte offset {offset_of(begin)}'
                )
            argument, date, i = _html_attributes(text, i, name, offset_of(begin))
            if name == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset_of(begin)}'
                )
            stack.append(_OpenTag(name, argument, date, utf16, len(chunks)))
        else:
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {offset_of(begin)}")
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            end_name = text[begin + 2 : i].lower()
            while i < n and text[i] in _SPACES:
                i += 1
            if at(i) != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {offset_of(begin)}")
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {offset_of(begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            if utf16 > tag.offset:
                _close_html_tag(tag, utf16 - tag.offset, "".join(chunks[tag.chunk :]), entities)
        i += 1  # the closing ">"
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(chunks), _sorted(entities)


def _html_attributes(text: str, i: int, tag: str, tag_offset: int) -> tuple[str, int, int]:
    """Read a start tag's attributes; returns (argument, tg-time date, index of ">")."""
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    argument = ""
    date = 0
    while at(i) != ">":
        while i < n and text[i] in _SPACES:
            i += 1
        if at(i) == ">":
            break
        name_begin = i
        while at(i) not in _SPACES and at(i) not in "=>/\"'":
            i += 1
        attribute = text[name_begin:i]
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {tag_offset}'
            )
        while i < n and text[i] in _SPACES:
            i += 1
        if at(i) != "=":
            if i >= n:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {tag_offset}')
            if tag == "blockquote" and attribute == "expandable":
                argument = "1"
            continue
        i += 1
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {tag_offset}')
        if text[i] not in "'\"":
            token_begin = i
            while at(i) in _ALNUM or at(i) in ".-":
                i += 1
            value = text[token_begin:i].lower()
            if at(i) not in _SPACES and at(i) != ">":
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}"
                )
        else:
            quote = text[i]
            i += 1
            parts: list[str] = []
            while i < n and text[i] != quote:
                decoded = _decode_html_entity(text, i) if text[i] == "&" else None
                if decoded is not None:
                    parts.append(decoded[0])
                    i = decoded[1]
                else:
                    parts.append(text[i])
                    i += 1
            if i < n:
                i += 1
            value = "".join(parts)
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
        if tag == "a" and attribute == "href":
            argument = value
        elif tag == "code" and attribute == "class" and value.startswith("language-"):
            argument = value.removeprefix("language-")
        elif tag == "span" and attribute == "class" and value.startswith("tg-"):
            argument = value.removeprefix("tg-")
        elif tag == "tg-emoji" and attribute == "emoji-id":
            argument = value
        elif tag == "blockquote" and attribute == "expandable":
            argument = "1"
        elif tag == "tg-time" and attribute == "unix":
            date = int(value) if value.isdigit() else 0
        elif tag == "tg-time" and attribute == "format":
            argument = value
    return argument, date, i


def _close_html_tag(tag: _OpenTag, length: int, inner: str, entities: list[JSON]) -> None:
    offset = tag.offset
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag.name in _HTML_SIMPLE:
        entities.append(_entity(_HTML_SIMPLE[tag.name], offset, length))
    elif tag.name == "tg-emoji":
        if not tag.argument.isdigit() or int(tag.argument) == 0:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(_entity("custom_emoji", offset, length, custom_emoji_id=tag.argument))
    elif tag.name == "tg-time":
        if tag.date > 0:
            extra = {"date_time_format": tag.argument} if tag.argument else {}
            entities.append(_entity("date_time", offset, length, unix_time=tag.date, **extra))
    elif tag.name == "a":
        link = _link_entity(tag.argument or inner, offset, length)
        if link is not None:
            entities.append(link)
    elif tag.name == "pre":
        if same_span and last is not None and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
        else:
            entities.append(_entity("pre", offset, length))
    elif tag.name == "code":
        if same_span and last is not None and last["type"] == "pre" and tag.argument:
            last["language"] = tag.argument
        else:
            extra = {"language": tag.argument} if tag.argument else {}
            entities.append(_entity("code", offset, length, **extra))
    else:  # blockquote
        kind = "expandable_blockquote" if tag.argument else "blockquote"
        entities.append(_entity(kind, offset, length))


# --- MarkdownV2 -------------------------------------------------------------------------------

_MD2_RESERVED = "_*[]()~`>#+-=|{}.!\n"
_MD2_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "pre_code": "PreCode",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


@dataclass(slots=True)
class _OpenMark:
    kind: str
    argument: str
    offset: int  # UTF-16 offset in the output
    source: int  # index in the source, for error offsets
    chunk: int  # index into the output characters


def parse_markdown_v2(text: str) -> tuple[str, list[JSON]]:
    """Port of tdlib's parse_markdown_v2: plain text and entities, or ``EntityParseError``."""
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    def reserved(char: str) -> EntityParseError:
        return EntityParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def unclosed(mark: _OpenMark) -> EntityParseError:
        return EntityParseError(
            f"Can't find end of {_MD2_TYPE_NAMES[mark.kind]} entity "
            f"at byte offset {_byte_offset(text, mark.source)}"
        )

    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    stack: list[_OpenMark] = []
    have_blockquote = False
    can_start_blockquote = True
    i = -1
    while True:
        i += 1
        if i >= n:
            break
        c = text[i]
        if c == "\\" and "\x01" <= at(i + 1) <= "~":
            i += 1
            utf16 += 1
            out.append(text[i])
            if text[i] != "\r":
                can_start_blockquote = text[i] == "\n"
            continue
        in_code = bool(stack) and stack[-1].kind in ("code", "pre", "pre_code")
        if c not in ("`" if in_code else _MD2_RESERVED):
            utf16 += utf16_len(c)
            if c != "\r":
                can_start_blockquote = False
            out.append(c)
            continue

        if not _md2_closes(stack, c, at(i + 1), at(i + 2), have_blockquote):
            source = i
            argument = ""
            if c == "_":
                kind = "italic"
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if at(i + 1) != "|":
                    raise reserved(c)
                i += 1
                kind = "spoiler"
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if at(i + 1) == "`" and at(i + 2) == "`":
                    i += 3
                    kind = "pre"
                    language_end = i
                    while at(language_end) not in _SPACES and at(language_end) != "`":
                        language_end += 1
                    if i != language_end and language_end < n and at(language_end) != "`":
                        kind = "pre_code"
                        argument = text[i:language_end]
                        i = language_end
                    if at(i) in "\n\r":
                        i += 2 if at(i + 1) in "\n\r" and at(i) != at(i + 1) else 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!":
                if at(i + 1) != "[":
                    raise reserved(c)
                i += 1
                kind = "custom_emoji"
            elif c == "\n":
                utf16 += 1
                out.append("\n")
                can_start_blockquote = True
                continue
            elif c == ">":
                if not can_start_blockquote:
                    raise reserved(c)
                if have_blockquote:
                    continue
                kind = "blockquote"
                have_blockquote = True
            else:
                raise reserved(c)
            stack.append(_OpenMark(kind, argument, utf16, source, len(out)))
            continue

        # the end of an entity
        mark = stack[-1]
        kind = mark.kind
        if c == "\n" and kind != "blockquote":
            ends_spoiler = mark.source == i - 2 or (
                mark.source == i - 3 and bool(out) and out[-1] == "\r"
            )
            if kind != "spoiler" or not ends_spoiler:
                raise unclosed(mark)
            stack.pop()
            mark = stack[-1]
            if mark.kind != "blockquote":
                raise unclosed(mark)
            kind = "expandable_blockquote"
        skip = utf16 == mark.offset
        extra: JSON = {}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind in ("text_link", "custom_emoji"):
            if at(i + 1) != "(":
                if kind == "custom_emoji":
                    raise EntityParseError("The entity must contain a tg://emoji or tg://time URL")
                url = "".join(out[mark.chunk :])
            else:
                i += 2
                url_begin = i
                url_chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and "\x01" <= at(i + 1) <= "~":
                        url_chars.append(text[i + 1])
                        i += 2
                        continue
                    url_chars.append(text[i])
                    i += 1
                if at(i) != ")":
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(url_chars)
            if kind == "custom_emoji":
                emoji_id = parse_qs(urlsplit(url).query).get("id", [""])[0]
                if not url.startswith("tg://emoji?") or not emoji_id.isdigit():
                    raise EntityParseError("Invalid tg://emoji or tg://time URL specified")
                extra = {"custom_emoji_id": emoji_id}
            elif not skip:
                link = _link_entity(url, mark.offset, utf16 - mark.offset)
                if link is not None:
                    entities.append(link)
                skip = True
        elif kind in ("blockquote", "expandable_blockquote"):
            have_blockquote = False
            out.append(text[i])
            can_start_blockquote = True
            utf16 += 1
            skip = False
        if not skip:
            if kind == "pre_code":
                kind, extra = "pre", {"language": mark.argument}
            entities.append(_entity(kind, mark.offset, utf16 - mark.offset, **extra))
        stack.pop()

    if have_blockquote:
        kind = "blockquote"
        if stack[-1].kind == "spoiler" and stack[-1].source == n - 2:
            stack.pop()
            kind = "expandable_blockquote"
        if stack[-1].kind == "blockquote":
            mark = stack.pop()
            if utf16 != mark.offset:
                entities.append(_entity(kind, mark.offset, utf16 - mark.offset))
    if stack:
        raise unclosed(stack[-1])
    return "".join(out), _sorted(entities)


def _md2_closes(
    stack: list[_OpenMark], c: str, next1: str, next2: str, have_blockquote: bool
) -> bool:
    """Whether reserved character ``c`` ends the innermost open entity."""
    if not stack:
        return False
    if have_blockquote and c == "\n" and next1 != ">":
        return True
    kind = stack[-1].kind
    if kind in ("pre", "pre_code"):
        return c == "`" and next1 == "`" and next2 == "`"
    closing = {
        "bold": c == "*",
        "italic": c == "_" and next1 != "_",
        "code": c == "`",
        "text_link": c == "]",
        "custom_emoji": c == "]",
        "underline": c == "_" and next1 == "_",
        "strikethrough": c == "~",
        "spoiler": c == "|" and next1 == "|",
    }
    return closing.get(kind, False)


# --- legacy Markdown --------------------------------------------------------------------------

_MD_MARKS = "_*`["


def parse_markdown(text: str) -> tuple[str, list[JSON]]:
    """Port of tdlib's legacy parse_markdown (parse_mode "Markdown")."""
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else "\0"

    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    i = -1
    while True:
        i += 1
        if i >= n:
            break
        c = text[i]
        if c == "\\" and at(i + 1) in _MD_MARKS:
            i += 1
            out.append(text[i])
            utf16 += 1
            continue
        if c not in _MD_MARKS:
            out.append(c)
            utf16 += utf16_len(c)
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and at(i) == "`" and at(i + 1) == "`":
            i += 2
            is_pre = True
            language_end = i
            while at(language_end) not in _SPACES and at(language_end) != "`":
                language_end += 1
            if i != language_end and language_end < n and at(language_end) != "`":
                language = text[i:language_end]
                i = language_end
            if at(i) in "\n\r":
                i += 2 if at(i + 1) in "\n\r" and at(i) != at(i + 1) else 1
        offset = utf16
        while i < n and (text[i] != end_char or (is_pre and not (at(i + 1) == at(i + 2) == "`"))):
            out.append(text[i])
            utf16 += utf16_len(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        if utf16 != offset:
            length = utf16 - offset
            if c == "[":
                if at(i + 1) == "(":
                    url_begin = i + 2
                    i = text.find(")", url_begin)
                    i = n if i < 0 else i
                    url = text[url_begin:i]
                else:
                    url = text[begin + 1 : i]
                link = _link_entity(url, offset, length)
                if link is not None:
                    entities.append(link)
            elif c == "`":
                if is_pre:
                    extra = {"language": language} if language else {}
                    entities.append(_entity("pre", offset, length, **extra))
                else:
                    entities.append(_entity("code", offset, length))
            else:
                entities.append(_entity("italic" if c == "_" else "bold", offset, length))
        if is_pre:
            i += 2
    return "".join(out), _sorted(entities)


_PARSERS: dict[str, Callable[[str], tuple[str, list[JSON]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}


# --- explicit entities, trimming and automatic entities ---------------------------------------

_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)


def _explicit_entities(entities: Any) -> list[JSON]:
    """Validate an ``entities`` argument; entities of unknown type are dropped, as tdlib does."""
    if entities is None:
        return []
    if not isinstance(entities, list):
        raise bad_request("Can't parse entities JSON object")
    result: list[JSON] = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise bad_request("Can't parse MessageEntity: expected an Object")
        for field in ("offset", "length"):
            if not isinstance(entity.get(field), int):
                raise bad_request(f'Can\'t parse MessageEntity: Field "{field}" must be a Number')
        if not isinstance(entity.get("type"), str):
            raise bad_request('Can\'t parse MessageEntity: Field "type" must be of type String')
        if entity["type"] in _ENTITY_TYPES and entity["length"] > 0 and entity["offset"] >= 0:
            result.append(dict(entity))
    return _sorted(result)


def _trimmed(text: str, entities: list[JSON], *, allow_empty: bool) -> FormattedText:
    """Port of tdlib's fix_formatted_text: trim, clip entities, refuse empty, find entities."""
    text = text.rstrip()
    lead = len(text) - len(text.lstrip(" \n"))
    if entities:
        lead = min(lead, entities[0]["offset"])
    text = text[lead:]
    if not text:
        if allow_empty:
            return FormattedText("")
        raise bad_request("Text must be non-empty")
    total = utf16_len(text)
    kept: list[JSON] = []
    for entity in entities:
        offset = entity["offset"] - lead
        end = min(offset + entity["length"], total)
        if offset < total and end > offset:
            kept.append({**entity, "offset": offset, "length": end - offset})
    kept.extend(_auto_entities(text, kept))
    return FormattedText(text, tuple(_sorted(kept)))


_AUTO_ENTITY = re.compile(
    r"(?P<bot_command>(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)(?![A-Za-z0-9_@/])"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{3,32})(?!\w)"
    r"|(?P<hashtag>(?<![\w#])#\w+)"
    r"|(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])"
)


def _auto_entities(text: str, existing: list[JSON]) -> list[JSON]:
    """Entities Telegram finds by itself (commands, mentions, hashtags, URLs) outside others."""
    found: list[JSON] = []
    for match in _AUTO_ENTITY.finditer(text):
        kind = match.lastgroup or ""
        offset = utf16_len(text[: match.start()])
        length = utf16_len(match.group())
        overlaps = any(
            e["offset"] < offset + length and offset < e["offset"] + e["length"] for e in existing
        )
        if not overlaps:
            found.append(_entity(kind, offset, length))
    return found
