"""The outreach library: posts from `content/posts/*.md`, their media and campaigns.

A post file is a YAML header between two `---` lines, then the Mongolian body, then
optionally a line `--- en ---` and the English body (the format is described for staff in
`content/README.md`). Bodies are Telegram HTML. The loader is channel-agnostic: it checks
Telegram's limits because Telegram is the strictest channel we send to.

A broken file never stops the bot: `load_library` keeps every good post and collects a
`ContentError(path, field, reason)` for each problem; `ContentLibrary` re-reads the folder
when it changes and keeps the last good version of a post whose file an edit broke.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import yaml

from bot.core.orgs import ContentError, parse_orgs

log = logging.getLogger(__name__)

KINDS = ("news", "poster", "infographic", "video", "handbook", "ebook", "article", "campaign")
MEDIA_TYPES = ("photo", "video", "document")
ACTIONS = ("useful", "share", "pledge", "complain", "survey")
LANGS = ("mn", "en")
FIELDS = ("id", "kind", "campaign", "measure", "title", "media", "buttons", "topics", "page")
HTML_TAGS = ("b", "i", "u", "s", "a", "code", "pre", "blockquote")

TEXT_LIMIT = 4096  # a Telegram message, counted after the HTML is parsed
CAPTION_LIMIT = 1024  # a Telegram caption
TITLE_LIMIT = 120
BUTTON_TEXT_LIMIT = 64
MAX_BUTTONS = 3
MAX_MEDIA = 10  # an album holds 2–10 items
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # what a bot may upload as a photo
FILE_MAX_BYTES = 50 * 1024 * 1024  # what a bot may upload as a video or document
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
VIDEO_SUFFIXES = (".mp4",)
# A kind that is about a file needs one of that type.
KIND_NEEDS = {
    "poster": "photo",
    "infographic": "photo",
    "video": "video",
    "handbook": "document",
    "ebook": "document",
}

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_MEASURE = re.compile(r"^\d{1,2}(\.\d{1,2}){0,3}$")
_TOPIC = re.compile(r"^[\w-]{1,32}$")
_EN_LINE = re.compile(r"^---[ \t]*en[ \t]*---[ \t]*$", re.MULTILINE)
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
_HREF = re.compile(r"""^\s+href\s*=\s*(?:"([^"]*)"|'([^']*)')\s*$""")


@dataclass(frozen=True)
class Campaign:
    """A campaign posts can belong to, from `content/campaigns.yaml`."""

    code: str
    names: dict[str, str]

    def name(self, lang: str) -> str:
        """The name in `lang`, falling back to Mongolian."""
        return self.names.get(lang) or self.names["mn"]


@dataclass(frozen=True)
class Media:
    """A picture, video or document sent with a post."""

    type: str
    file: str  # as written in the post, relative to content/media/
    path: Path
    caption: dict[str, str] = field(default_factory=dict)

    def caption_for(self, lang: str) -> str | None:
        """The caption of this item (plain text) in `lang`, falling back to Mongolian."""
        return self.caption.get(lang) or self.caption.get("mn")


@dataclass(frozen=True)
class Button:
    """A button under a post: a link, or one of the bot's actions."""

    text: dict[str, str]
    url: str | None = None
    action: str | None = None
    survey: str | None = None  # the survey a `survey` button opens

    def label(self, lang: str) -> str:
        """The text in `lang`, falling back to Mongolian."""
        return self.text.get(lang) or self.text["mn"]


@dataclass(frozen=True)
class Post:
    """One post of the library."""

    id: str
    kind: str
    measure: str
    title: dict[str, str]
    body: dict[str, str]  # Telegram HTML, checked
    path: Path
    campaign: str | None = None
    media: tuple[Media, ...] = ()
    buttons: tuple[Button, ...] = ()
    topics: tuple[str, ...] = ()
    page: bool = False  # also on the office's Facebook Page when scheduled

    def language(self, lang: str) -> str:
        """The language the post is shown in for a reader of `lang`: theirs, or Mongolian."""
        return lang if lang in self.body else "mn"

    def title_for(self, lang: str) -> str:
        """The title (plain text) in `lang`, falling back to Mongolian."""
        return self.title[self.language(lang)]

    def body_for(self, lang: str) -> str:
        """The body (Telegram HTML) in `lang`, falling back to Mongolian."""
        return self.body[self.language(lang)]

    def message(self, lang: str) -> str:
        """What is sent: the title in bold, a blank line, the body (Telegram HTML).

        With media it is the caption of the picture (of the first item of an album).
        """
        return f"<b>{html.escape(self.title_for(lang), quote=False)}</b>\n\n{self.body_for(lang)}"

    @property
    def is_album(self) -> bool:
        """Whether the media go out as an album (2–10 items)."""
        return len(self.media) >= 2


@dataclass(frozen=True)
class Library:
    """The posts that loaded, and every problem found."""

    root: Path
    posts: tuple[Post, ...]
    errors: tuple[ContentError, ...]
    campaigns: dict[str, Campaign]

    def get(self, post_id: str) -> Post | None:
        """A post by id."""
        return next((p for p in self.posts if p.id == post_id), None)

    def campaign(self, code: str | None) -> Campaign | None:
        """A campaign by code."""
        return self.campaigns.get(code) if code else None


# --- HTML -------------------------------------------------------------------------------------


class HtmlError(ValueError):
    """A body is not valid Telegram HTML; `index` is where in the text."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index, self.reason = index, reason


def check_html(text: str) -> str:
    """The visible text of a Telegram HTML body; raises `HtmlError` at the first problem.

    Allowed: b, i, u, s, code, pre, blockquote without attributes, and `a href="…"` with an
    http(s) or tg:// link. A plain `<` or `&` must be written `&lt;` or `&amp;`.
    """
    out: list[str] = []
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise HtmlError(i, "a plain '&' must be written &amp;")
            out.append(html.unescape(match.group()))
            i = match.end()
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        match = _TAG.match(text, i)
        if match is None:
            raise HtmlError(i, "a plain '<' must be written &lt;")
        closing, name, attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if name not in HTML_TAGS:
            raise HtmlError(i, f"tag <{name}> is not allowed; allowed: "
                               f"{', '.join(HTML_TAGS)} (write &lt; for a plain <)")
        if closing:
            if attrs.strip():
                raise HtmlError(i, f"</{name}> takes no attributes")
            if not stack:
                raise HtmlError(i, f"</{name}> closes nothing")
            if stack[-1][0] != name:
                raise HtmlError(i, f"</{name}> found where </{stack[-1][0]}> was expected")
            stack.pop()
        else:
            inside = [t for t, _ in stack]
            if inside and inside[-1] in ("code", "pre") and not (
                inside[-1] == "pre" and name == "code"
            ):
                raise HtmlError(i, f"<{name}> cannot be inside <{inside[-1]}>")
            if name == "a":
                if "a" in inside:
                    raise HtmlError(i, "a link cannot be inside another link")
                href = _HREF.match(attrs)
                url = (href.group(1) or href.group(2) or "") if href else ""
                if not href or not _url_ok(html.unescape(url), schemes=("http", "https", "tg")):
                    raise HtmlError(i, '<a> needs href="https://…" and nothing else')
            elif attrs.strip():
                raise HtmlError(i, f"<{name}> takes no attributes")
            stack.append((name, i))
        i = match.end()
    if stack:
        name, at = stack[-1]
        raise HtmlError(at, f"<{name}> is never closed")
    return "".join(out).strip()


def _url_ok(url: str, schemes: tuple[str, ...] = ("https",)) -> bool:
    if not url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes:
        return False
    if parts.scheme.lower() == "tg":
        return bool(parts.netloc)
    host = parts.hostname or ""
    return "." in host.strip(".")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- one post ---------------------------------------------------------------------------------


class _Problems:
    """The problems of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[ContentError] = []

    def add(self, where: str, reason: str) -> None:
        self.items.append(ContentError(self.path, where, reason))


def _split(text: str) -> tuple[str, int, dict[str, tuple[str, int]]]:
    """Header text, and each language's body with the file line it starts on.

    Raises `ValueError` (the reason) when the file has no header.
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ValueError("the file must start with a line '---', then the header, then '---'")
    end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), None)
    if end is None:
        raise ValueError("the header has no closing line '---'")
    header = "\n".join(lines[1:end])
    rest = "\n".join(lines[end + 1 :])
    first = end + 2  # file line of the body's first line
    parts = _EN_LINE.split(rest)
    if len(parts) > 2:
        raise ValueError("more than one '--- en ---' line")
    bodies = {"mn": (parts[0], first)}
    if len(parts) == 2:
        en_line = first + parts[0].count("\n")  # its text starts with the line break
        bodies["en"] = (parts[1], en_line)
    return header, first, bodies


def _yaml_reason(exc: yaml.YAMLError, first_line: int) -> str:
    """A YAML error for people: the file line, what is wrong, and the usual fix."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
    where = f"line {mark.line + first_line}: " if mark is not None else ""
    hint = ""
    if "mapping values are not allowed" in problem:
        hint = " (a text containing ': ' must be put in quotes)"
    return f"{where}not valid YAML: {problem}{hint}"


def _texts(where: str, value: Any, problems: _Problems, *, limit: int,
           required: bool = True) -> dict[str, str]:
    """A `{mn, en?}` mapping of plain text (a bare string is the Mongolian text)."""
    if value is None:
        if required:
            problems.add(where, "required")
        return {}
    if isinstance(value, str):
        value = {"mn": value}
    if not isinstance(value, dict):
        problems.add(where, "expected {mn: …, en: …}")
        return {}
    unknown = [str(k) for k in value if k not in LANGS]
    if unknown:
        problems.add(where, f"unknown language {unknown[0]!r} (mn or en)")
    texts: dict[str, str] = {}
    for lang in LANGS:
        text = value.get(lang)
        if text is None:
            continue
        if not isinstance(text, str) or not text.strip():
            problems.add(f"{where}.{lang}", "expected non-empty text")
            continue
        text = " ".join(text.split())
        if len(text) > limit:
            problems.add(f"{where}.{lang}", f"{len(text)} characters, at most {limit}")
            continue
        texts[lang] = text
    if "mn" not in texts and not any(i.field == f"{where}.mn" for i in problems.items):
        problems.add(f"{where}.mn", "Mongolian text is required")
    return texts


def _media(root: Path, value: Any, problems: _Problems) -> list[Media]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add("media", "expected a list of {type, file}")
        return []
    if len(value) > MAX_MEDIA:
        problems.add("media", f"{len(value)} items, at most {MAX_MEDIA} (an album holds 2–10)")
        return []
    media_dir = (root / "media").resolve()
    items: list[Media] = []
    for k, item in enumerate(value):
        where = f"media[{k}]"
        if not isinstance(item, dict):
            problems.add(where, "expected {type: photo|video|document, file: …}")
            continue
        unknown = [str(key) for key in item if key not in ("type", "file", "caption")]
        if unknown:
            problems.add(f"{where}.{unknown[0]}", "unknown field (type, file, caption)")
        kind, name = item.get("type"), item.get("file")
        if kind not in MEDIA_TYPES:
            problems.add(f"{where}.type", f"one of: {', '.join(MEDIA_TYPES)}")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.add(f"{where}.file", "required: a path under content/media/")
            continue
        path = (media_dir / name).resolve()
        if name.startswith("/") or not path.is_relative_to(media_dir):
            problems.add(f"{where}.file", "must be a path under content/media/")
            continue
        if not path.is_file():
            problems.add(f"{where}.file", f"no such file: media/{name}")
            continue
        suffix = path.suffix.lower()
        size = path.stat().st_size
        if kind == "photo" and suffix not in PHOTO_SUFFIXES:
            problems.add(f"{where}.file", f"a photo must be {', '.join(PHOTO_SUFFIXES)}")
        elif kind == "video" and suffix not in VIDEO_SUFFIXES:
            problems.add(f"{where}.file", "a video must be .mp4")
        elif size == 0:
            problems.add(f"{where}.file", "the file is empty")
        elif size > (PHOTO_MAX_BYTES if kind == "photo" else FILE_MAX_BYTES):
            limit = (PHOTO_MAX_BYTES if kind == "photo" else FILE_MAX_BYTES) // 2**20
            problems.add(f"{where}.file", f"{size / 2**20:.1f} MB, at most {limit} MB for a {kind}")
        caption = _texts(f"{where}.caption", item.get("caption"), problems,
                         limit=CAPTION_LIMIT, required=False)
        if caption and k == 0:
            problems.add(f"{where}.caption",
                         "the first item's caption is the post's title and body; write it there")
        items.append(Media(type=kind, file=name, path=path, caption=caption))
    if len(items) >= 2:
        types = {m.type for m in items}
        if "document" in types and len(types) > 1:
            problems.add("media", "an album cannot mix documents with photos or videos "
                                  "(Telegram's rule); put the document in a post of its own")
    return items


def _buttons(value: Any, problems: _Problems) -> list[Button]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add("buttons", "expected a list of {text, url} or {text, action}")
        return []
    if len(value) > MAX_BUTTONS:
        problems.add("buttons", f"{len(value)} buttons, at most {MAX_BUTTONS}")
        return []
    buttons: list[Button] = []
    for k, item in enumerate(value):
        where = f"buttons[{k}]"
        if not isinstance(item, dict):
            problems.add(where, "expected {text, url} or {text, action}")
            continue
        unknown = [str(key) for key in item if key not in ("text", "url", "action", "survey")]
        if unknown:
            problems.add(f"{where}.{unknown[0]}", "unknown field (text, url, action, survey)")
        before = len(problems.items)
        text = _texts(f"{where}.text", item.get("text"), problems, limit=BUTTON_TEXT_LIMIT)
        url, action = item.get("url"), item.get("action")
        if (url is None) == (action is None):
            problems.add(where, "needs exactly one of url or action")
        elif url is not None and (not isinstance(url, str) or not _url_ok(url)):
            problems.add(f"{where}.url", "must be a full https:// address")
        elif action is not None and action not in ACTIONS:
            problems.add(f"{where}.action", f"one of: {', '.join(ACTIONS)}")
        survey = item.get("survey")
        if (action == "survey") != (survey is not None):
            problems.add(f"{where}.survey", "a survey button names its survey, and only it")
        elif survey is not None and not (isinstance(survey, str) and _ID.match(survey)):
            problems.add(f"{where}.survey", "a survey id (a file in content/surveys)")
        if len(problems.items) == before:
            buttons.append(Button(text=text, url=url, action=action, survey=survey))
    return buttons


def _measure(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = str(value)
    return value if isinstance(value, str) and _MEASURE.match(value) else None


def parse_post(root: Path, path: Path, text: str,
               campaigns: dict[str, Campaign] | None) -> tuple[Post | None, list[ContentError]]:
    """Check one post file; the post, or None, and every problem found in it.

    `campaigns` is None when campaigns.yaml itself is broken: campaign codes are then not
    checked (that file's own error says why).
    """
    problems = _Problems(path)
    try:
        header_text, _, bodies_raw = _split(text.removeprefix("\ufeff").replace("\r\n", "\n"))
    except ValueError as exc:
        problems.add("(file)", str(exc))
        return None, problems.items
    try:
        header = yaml.safe_load(header_text)
    except yaml.YAMLError as exc:
        problems.add("(header)", _yaml_reason(exc, first_line=2))
        return None, problems.items
    if not isinstance(header, dict):
        problems.add("(header)", "expected fields like 'id: …' between the '---' lines")
        return None, problems.items
    for key in header:
        if key not in FIELDS:
            problems.add(str(key), f"unknown field (known: {', '.join(FIELDS)})")

    post_id = header.get("id")
    if post_id is None:
        problems.add("id", "required")
    elif not isinstance(post_id, str) or not _ID.match(post_id):
        problems.add("id", "1–40 of a-z, 0-9, - (starting a-z or 0-9)")
    kind = header.get("kind")
    if kind is None:
        problems.add("kind", "required")
    elif kind not in KINDS:
        problems.add("kind", f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    measure = _measure(header.get("measure"))
    if header.get("measure") is None:
        problems.add("measure", 'required: the plan measure this post serves, like "1.1"')
    elif measure is None:
        problems.add("measure", 'a plan measure number like "1.1" or "6.5.2"')
    campaign = header.get("campaign")
    if campaign is not None:
        if not isinstance(campaign, str):
            problems.add("campaign", "expected a campaign code")
        elif campaigns is not None and campaign not in campaigns:
            known = ", ".join(sorted(campaigns)) or "none"
            problems.add("campaign", f"unknown campaign {campaign!r} "
                                     f"(declared in campaigns.yaml: {known})")
    topics = header.get("topics") or []
    if not isinstance(topics, list) or not all(
        isinstance(t, str) and _TOPIC.match(t) for t in topics
    ):
        problems.add("topics", "expected a list of short tags (letters, digits, -; at most 32)")
        topics = []
    page = header.get("page", False)
    if not isinstance(page, bool):
        problems.add("page", "true or false: whether the post also goes to the Facebook Page")
        page = False

    title = _texts("title", header.get("title"), problems, limit=TITLE_LIMIT)
    media = _media(root, header.get("media"), problems)
    buttons = _buttons(header.get("buttons"), problems)
    if len(media) >= 2 and header.get("buttons"):
        problems.add("buttons", "an album cannot carry buttons (Telegram's rule); "
                                "use one picture, or remove the buttons")
    need = KIND_NEEDS.get(kind) if isinstance(kind, str) else None
    if need and not any(m.type == need for m in media) and not any(
        i.field.startswith("media") for i in problems.items
    ):
        problems.add("media", f"a {kind} post needs a {need} in media")

    bodies: dict[str, str] = {}
    limit, limit_name = (CAPTION_LIMIT, "caption") if header.get("media") else (
        TEXT_LIMIT, "message")
    for lang, (raw, first_line) in bodies_raw.items():
        where = f"body.{lang}"
        try:
            visible = check_html(raw)
        except HtmlError as problem:
            line = first_line + raw[: problem.index].count("\n")
            problems.add(where, f"line {line}: {problem.reason}")
            continue
        if not visible:
            problems.add(where, "empty" if lang == "en" else "the Mongolian text is required")
            continue
        ttl = title.get(lang) or title.get("mn", "")
        length = _utf16_len(ttl) + 2 + _utf16_len(visible)
        if length > limit:
            reason = f"{length} characters with the title, at most {limit} for a {limit_name}"
            if limit_name == "caption":
                reason += " (a post with media is sent as one caption): shorten it"
            problems.add(where, reason)
            continue
        bodies[lang] = raw.strip()
    if "en" in title and "en" not in bodies_raw:
        problems.add("title.en", "an English title needs an English body (a '--- en ---' part)")
    if "en" in bodies_raw and "en" not in title and "title" in header:
        problems.add("title.en", "the English body needs an English title")

    if problems.items or not isinstance(post_id, str) or not isinstance(kind, str) \
            or measure is None:
        return None, problems.items
    return Post(
        id=post_id, kind=kind, measure=measure, title=title, body=bodies, path=path,
        campaign=campaign, media=tuple(media), buttons=tuple(buttons), topics=tuple(topics),
        page=page,
    ), []


# --- campaigns and the library ----------------------------------------------------------------


def parse_campaigns(path: Path, text: str) -> dict[str, Campaign]:
    """Validate `campaigns.yaml`; raises `ContentError` on the first problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ContentError(path, "(file)", _yaml_reason(exc, first_line=1)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("campaigns"), list):
        raise ContentError(path, "campaigns", "expected a list of campaigns")
    found: dict[str, Campaign] = {}
    for k, item in enumerate(data["campaigns"]):
        where = f"campaigns[{k}]"
        if not isinstance(item, dict):
            raise ContentError(path, where, "expected {code, mn, en}")
        unknown = [str(key) for key in item if key not in ("code", *LANGS)]
        if unknown:
            raise ContentError(path, f"{where}.{unknown[0]}", "unknown field (code, mn, en)")
        code = item.get("code")
        if not isinstance(code, str) or not _ID.match(code):
            raise ContentError(path, f"{where}.code", "1–40 of a-z, 0-9, - (starting a-z or 0-9)")
        if code in found:
            raise ContentError(path, f"{where}.code", f"duplicate code {code!r}")
        problems = _Problems(path)
        names = _texts(where, {lang: item[lang] for lang in LANGS if lang in item}, problems,
                       limit=TITLE_LIMIT)
        if problems.items:
            raise problems.items[0]
        found[code] = Campaign(code=code, names=names)
    return found


def _post_files(posts_dir: Path) -> list[Path]:
    """The post files: `*.md`, except names starting with `_` or `.` (drafts)."""
    return sorted(p for p in posts_dir.glob("*.md") if not p.name.startswith(("_", ".")))


def load_library(root: Path) -> Library:
    """Load every good post under `root` (the content folder) and collect every problem.

    Never raises for a bad file; a missing posts folder is one error.
    """
    errors: list[ContentError] = []
    campaigns: dict[str, Campaign] | None
    campaigns_path = root / "campaigns.yaml"
    try:
        campaigns = parse_campaigns(campaigns_path, campaigns_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        campaigns = {}
        errors.append(ContentError(campaigns_path, "(file)", "missing"))
    except (OSError, UnicodeDecodeError) as exc:
        campaigns = None
        errors.append(ContentError(campaigns_path, "(file)", f"cannot be read: {exc}"))
    except ContentError as exc:
        campaigns = None
        errors.append(exc)
    posts_dir = root / "posts"
    if not posts_dir.is_dir():
        errors.append(ContentError(posts_dir, "(folder)", "missing"))
        return Library(root=root, posts=(), errors=tuple(errors), campaigns=campaigns or {})
    posts: list[Post] = []
    where_id: dict[str, Path] = {}
    for path in _post_files(posts_dir):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            errors.append(ContentError(path, "(file)", "not UTF-8 text"))
            continue
        except OSError as exc:
            errors.append(ContentError(path, "(file)", f"cannot be read: {exc.strerror}"))
            continue
        post, problems = parse_post(root, path, text, campaigns)
        errors.extend(problems)
        if post is None:
            continue
        if post.id in where_id:
            errors.append(ContentError(path, "id", f"duplicate id {post.id!r}, "
                                                   f"also in {where_id[post.id].name}"))
            continue
        where_id[post.id] = path
        posts.append(post)
    return Library(root=root, posts=tuple(posts), errors=tuple(errors),
                   campaigns=campaigns or {})


class ContentLibrary:
    """The current library, re-read when a file changes.

    A post whose file an edit broke stays as it was last good (like the organization
    list); a new broken file is skipped. Each problem is logged and returned once.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._library = Library(root=root, posts=(), errors=(), campaigns={})
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._reported: set[str] = set()
        self.refresh()

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        entries: list[tuple[str, int, int]] = []
        for path in sorted(self.root.rglob("*")) if self.root.is_dir() else []:
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def refresh(self) -> list[ContentError]:
        """Re-read the library if anything changed; returns the problems not reported yet."""
        signature = self._current_signature()
        if signature == self._signature:
            return []
        self._signature = signature
        fresh = load_library(self.root)
        previous = {p.path: p for p in self._library.posts}
        loaded_paths = {p.path for p in fresh.posts}
        ids = {p.id for p in fresh.posts}
        kept = []
        for error in fresh.errors:
            old = previous.get(error.path)
            if old is not None and error.path not in loaded_paths and error.path.exists() \
                    and old.id not in ids:
                kept.append(old)
                ids.add(old.id)
        self._library = Library(root=fresh.root, posts=fresh.posts + tuple(kept),
                                errors=fresh.errors, campaigns=fresh.campaigns)
        current = {str(e) for e in fresh.errors}
        new = [e for e in fresh.errors if str(e) not in self._reported]
        self._reported = current
        for error in new:
            kept_note = " (keeping its last good version)" if error.path in {
                p.path for p in kept} else " (skipped)"
            log.error("content problem%s: %s", kept_note, error)
        return new

    @property
    def library(self) -> Library:
        """The library as last loaded (with kept posts)."""
        return self._library

    @property
    def posts(self) -> tuple[Post, ...]:
        """The posts that can be sent."""
        return self._library.posts

    @property
    def errors(self) -> tuple[ContentError, ...]:
        """The problems found at the last load."""
        return self._library.errors

    def get(self, post_id: str) -> Post | None:
        """A post by id."""
        return self._library.get(post_id)


# --- the check command ------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def check(root: Path, out: TextIO) -> int:
    """Validate the content folder and print every problem as `path: field: reason`.

    Checks the posts, their media, campaigns.yaml, organizations.yaml, the surveys and,
    when there is a plan/ folder, the plans, notes and signers in it. Ends with a summary
    line; returns 0 when everything is fine, 1 otherwise.
    """
    from bot.core.plan import check_plans  # the plan module imports this one
    library = load_library(root)
    errors: list[ContentError] = list(library.errors)
    orgs_path = root / "organizations.yaml"
    orgs = 0
    try:
        groups = parse_orgs(orgs_path, orgs_path.read_text(encoding="utf-8"))
        orgs = sum(len(g.items) for g in groups)
    except FileNotFoundError:
        errors.append(ContentError(orgs_path, "(file)", "missing"))
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(ContentError(orgs_path, "(file)", f"cannot be read: {exc}"))
    except ContentError as exc:
        errors.append(exc)
    plans, plan_errors = check_plans(root)
    errors.extend(plan_errors)
    from bot.core.surveys import load_surveys  # the survey module imports orgs, like this one
    surveys = load_surveys(root)
    errors.extend(surveys.errors)
    for error in errors:
        print(error, file=out)
    media = sum(len(p.media) for p in library.posts)
    counts = (f"{_plural(len(library.posts), 'post')}, {_plural(media, 'media file')}, "
              f"{_plural(len(library.campaigns), 'campaign')}, {_plural(orgs, 'organization')}")
    if plans.root.is_dir():
        measures = sum(len(p.measures) for p in plans.plans.values())
        counts += (f", {_plural(len(plans.plans), 'plan')} "
                   f"({_plural(measures, 'measure')})")
    if (root / "surveys").is_dir():
        counts += f", {_plural(len(surveys.surveys), 'survey')}"
    if errors:
        files = len({e.path for e in errors})
        print(f"{root}: {_plural(len(errors), 'problem')} in {_plural(files, 'file')}; "
              f"loaded {counts}", file=out)
        return 1
    print(f"{root}: OK, {counts}", file=out)
    return 0

