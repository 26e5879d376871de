"""The outreach library: the shipped content, and every validation rule on broken files."""

from __future__ import annotations

import io
import os
import re
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.content import (
    CAPTION_LIMIT,
    ContentLibrary,
    HtmlError,
    Library,
    check,
    check_html,
    load_library,
)
from bot.core.orgs import ContentError
from bot.fakegram.formatting import parse_html, utf16_len

SHIPPED = Path(__file__).resolve().parent.parent / "content"

CAMPAIGNS = """\
campaigns:
  - {code: negdye, mn: «Нэгдье» аян, en: Let's Unite}
  - {code: honest-leader, mn: "«Шударга удирдагч, ил тод байгууллага» аян"}
"""
ORGS = """\
groups:
  - code: agency
    mn: Төрийн байгууллага
    items:
      - {code: court, mn: Шүүх}
"""
HEADER = """\
id: {id}
kind: poster
measure: "1.1"
title:
  mn: Авлига гэж юу вэ?
  en: What is corruption?
media:
  - {type: photo, file: posters/a.png}
"""
BODY = "Өөрт болон бусдад <b>хууль бусаар</b> давуу байдал бий болгох нь авлига.\n"
EN_BODY = "Using one's office for an <b>unlawful</b> advantage is corruption.\n"


def post_text(header: str = HEADER, body: str = BODY, en: str | None = EN_BODY,
              post_id: str = "good") -> str:
    text = "---\n" + header.replace("{id}", post_id) + "---\n" + body
    text += "" if text.endswith("\n") else "\n"
    return text + (f"--- en ---\n{en}" if en is not None else "")


def library(tmp_path: Path, posts: dict[str, str], *, campaigns: str | None = CAMPAIGNS,
            orgs: str | None = ORGS) -> Path:
    root = tmp_path / "content"
    (root / "posts").mkdir(parents=True)
    for name in ("posters/a.png", "posters/b.png", "handbooks/h.pdf"):
        path = root / "media" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not empty")
    if campaigns is not None:
        (root / "campaigns.yaml").write_text(campaigns, encoding="utf-8")
    if orgs is not None:
        (root / "organizations.yaml").write_text(orgs, encoding="utf-8")
    for name, text in posts.items():
        (root / "posts" / name).write_text(text, encoding="utf-8")
    return root


def problems(tmp_path: Path, text: str, **kwargs: str | None) -> list[str]:
    """The problems of one post file, as `field: reason` lines."""
    root = library(tmp_path, {"p.md": text}, **kwargs)  # type: ignore[arg-type]
    lib = load_library(root)
    path = root / "posts" / "p.md"
    assert all(e.path == path for e in lib.errors if e.path.parent.name == "posts")
    assert lib.get("good") is None or not lib.errors
    return [f"{e.field}: {e.reason}" for e in lib.errors]


# --- the shipped library ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Library:
    return load_library(SHIPPED)


def test_shipped_library_loads_clean(shipped: Library) -> None:
    assert [str(e) for e in shipped.errors] == []
    assert len(shipped.posts) >= 12
    assert len({p.id for p in shipped.posts}) == len(shipped.posts)
    assert {"negdye", "honest-leader"} <= set(shipped.campaigns)
    kinds = {p.kind for p in shipped.posts}
    assert {"poster", "infographic", "handbook", "article", "campaign", "news"} <= kinds
    assert any(p.is_album for p in shipped.posts)
    assert any("en" in p.body for p in shipped.posts)


def test_shipped_posts_have_mongolian_text_and_measures(shipped: Library) -> None:
    cyrillic = re.compile("[А-Яа-яЁёӨөҮү]")
    for post in shipped.posts:
        assert cyrillic.search(post.title["mn"]), post.id
        assert cyrillic.search(post.body["mn"]), post.id
        assert re.fullmatch(r"\d+(\.\d+)+", post.measure), post.id
    measures = {p.measure for p in shipped.posts}
    assert {"1.1", "1.2", "1.3", "1.4"} <= measures


def test_shipped_media_exist_and_are_small(shipped: Library) -> None:
    used = {m.path for p in shipped.posts for m in p.media}
    assert used, "posts use media"
    for path in used:
        assert path.is_file(), path
        assert path.is_relative_to(SHIPPED / "media")
    files = sorted((SHIPPED / "media").rglob("*.*"))
    pngs = [f for f in files if f.suffix == ".png"]
    pdfs = [f for f in files if f.suffix == ".pdf"]
    assert len([f for f in pngs if "posters" in f.parts]) >= 4
    assert pdfs
    for png in pngs:
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (1080, 1350), png.name
        assert len(data) < 400 * 1024, png.name
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and len(data) < 1024 * 1024
        assert b"/FontFile2" in data, "the TrueType font is embedded"


def test_shipped_messages_parse_as_telegram_does(shipped: Library) -> None:
    # The fake's parser is a port of Telegram's own: our check must agree with it.
    for post in shipped.posts:
        for lang in post.body:
            plain, _ = parse_html(post.message(lang))
            limit = CAPTION_LIMIT if post.media else 4096
            assert utf16_len(plain.strip()) <= limit, (post.id, lang)
            expected = post.title_for(lang) + "\n\n" + check_html(post.body_for(lang))
            assert plain.strip() == expected, (post.id, lang)


def test_shipped_content_check_is_clean() -> None:
    out = io.StringIO()
    assert check(SHIPPED, out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and ": OK, " in lines[0], lines


def test_the_readme_example_is_a_valid_post(tmp_path: Path) -> None:
    readme = (SHIPPED / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```\n(---\nid: .*?)```", readme, re.DOTALL)
    assert example is not None
    root = library(tmp_path, {"example.md": example.group(1)})
    (root / "media" / "posters" / "no-gifts-needed.png").write_bytes(b"png")
    lib = load_library(root)
    assert [str(e) for e in lib.errors] == []
    post = lib.posts[0]
    assert post.campaign == "negdye" and len(post.buttons) == 2 and "en" in post.body


# --- a good post, and languages ---------------------------------------------------------------


def test_a_good_post_loads_with_everything(tmp_path: Path) -> None:
    header = HEADER + """\
campaign: negdye
buttons:
  - {text: {mn: "📮 Мэдээлэх", en: "📮 Report"}, action: complain}
  - {text: Аймгийн цахим хуудас, url: "https://bayanhongor.gov.mn/"}
topics: [definition, ашиг-сонирхол]
"""
    root = library(tmp_path, {"p.md": post_text(header)})
    lib = load_library(root)
    assert lib.errors == ()
    post = lib.get("good")
    assert post is not None and lib.get("other") is None
    assert post.kind == "poster" and post.measure == "1.1" and post.campaign == "negdye"
    assert lib.campaign("negdye") is not None and lib.campaign(None) is None
    assert post.media[0].type == "photo" and post.media[0].file == "posters/a.png"
    assert post.media[0].path == root / "media" / "posters" / "a.png"
    assert post.buttons[0].action == "complain" and post.buttons[0].label("en") == "📮 Report"
    assert post.buttons[1].url == "https://bayanhongor.gov.mn/"
    assert post.buttons[1].label("en") == "Аймгийн цахим хуудас"  # Mongolian fallback
    assert post.topics == ("definition", "ашиг-сонирхол")
    assert post.message("mn") == "<b>Авлига гэж юу вэ?</b>\n\n" + BODY.strip()
    assert post.message("en") == "<b>What is corruption?</b>\n\n" + EN_BODY.strip()
    assert not post.is_album


def test_without_english_everything_falls_back_to_mongolian(tmp_path: Path) -> None:
    header = HEADER.replace("title:\n  mn: Авлига гэж юу вэ?\n  en: What is corruption?",
                            "title: Авлига гэж юу вэ?")
    lib = load_library(library(tmp_path, {"p.md": post_text(header, en=None)}))
    post = lib.get("good")
    assert post is not None, lib.errors
    assert post.language("en") == "mn"
    assert post.message("en") == post.message("mn")
    assert post.title_for("en") == "Авлига гэж юу вэ?"


def test_a_measure_written_as_a_number_is_accepted(tmp_path: Path) -> None:
    lib = load_library(library(tmp_path, {
        "p.md": post_text(HEADER.replace('measure: "1.1"', "measure: 1.3")),
    }))
    post = lib.get("good")
    assert post is not None and post.measure == "1.3"


def test_drafts_are_not_loaded(tmp_path: Path) -> None:
    lib = load_library(library(tmp_path, {"_draft.md": "broken", "p.md": post_text()}))
    assert lib.errors == () and len(lib.posts) == 1


# --- each rule: exactly the expected `path: field: reason` ------------------------------------


def test_bad_yaml(tmp_path: Path) -> None:
    header = HEADER + "topics: a: b\n"
    assert problems(tmp_path, post_text(header)) == [
        "(header): line 10: not valid YAML: mapping values are not allowed here "
        "(a text containing ': ' must be put in quotes)",
    ]


def test_no_header(tmp_path: Path) -> None:
    assert problems(tmp_path, "Сайн байна уу\n") == [
        "(file): the file must start with a line '---', then the header, then '---'",
    ]
    assert problems(tmp_path / "2", "---\nid: x\n") == [
        "(file): the header has no closing line '---'",
    ]


def test_missing_id(tmp_path: Path) -> None:
    header = HEADER.replace("id: {id}\n", "")
    assert problems(tmp_path, post_text(header)) == ["id: required"]


def test_bad_id(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(post_id="Bad_Id")) == [
        "id: 1–40 of a-z, 0-9, - (starting a-z or 0-9)",
    ]


def test_duplicate_id(tmp_path: Path) -> None:
    root = library(tmp_path, {"a.md": post_text(post_id="same"),
                              "b.md": post_text(post_id="same")})
    lib = load_library(root)
    assert [str(e) for e in lib.errors] == [
        f"{root / 'posts' / 'b.md'}: id: duplicate id 'same', also in a.md",
    ]
    post = lib.get("same")
    assert post is not None and post.path.name == "a.md"


def test_unknown_kind(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(HEADER.replace("kind: poster", "kind: blog"))) == [
        "kind: unknown kind 'blog' (one of: news, poster, infographic, video, handbook, "
        "ebook, article, campaign)",
    ]


def test_unknown_field(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(HEADER + "tittle: x\n")) == [
        "tittle: unknown field (known: id, kind, campaign, measure, title, media, buttons, "
        "topics, page)",
    ]


def test_missing_and_bad_measure(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(HEADER.replace('measure: "1.1"\n', ""))) == [
        'measure: required: the plan measure this post serves, like "1.1"',
    ]
    assert problems(tmp_path / "2", post_text(HEADER.replace('"1.1"', "first"))) == [
        'measure: a plan measure number like "1.1" or "6.5.2"',
    ]


def test_missing_mongolian_title(tmp_path: Path) -> None:
    header = HEADER.replace("  mn: Авлига гэж юу вэ?\n", "")
    assert problems(tmp_path, post_text(header)) == ["title.mn: Mongolian text is required"]


def test_missing_title(tmp_path: Path) -> None:
    header = HEADER.replace("title:\n  mn: Авлига гэж юу вэ?\n  en: What is corruption?\n", "")
    assert problems(tmp_path, post_text(header, en=None)) == ["title: required"]


def test_missing_mongolian_body(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(body="\n\n")) == [
        "body.mn: the Mongolian text is required",
    ]


def test_english_title_and_body_go_together(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(en=None)) == [
        "title.en: an English title needs an English body (a '--- en ---' part)",
    ]
    header = HEADER.replace("\n  en: What is corruption?", "")
    assert problems(tmp_path / "2", post_text(header)) == [
        "title.en: the English body needs an English title",
    ]


def test_caption_too_long_with_media(tmp_path: Path) -> None:
    body = "а" * 1005 + "\n"  # the title (17) + a blank line (2) + 1005 = 1024: fits
    assert problems(tmp_path, post_text(body=body, en=None,
                                        header=HEADER.replace("\n  en: What is corruption?", ""))
                    ) == []
    long = "а" * 1006 + "\n"
    assert problems(tmp_path / "2", post_text(body=long, en=None,
                                              header=HEADER.replace("\n  en: What is corruption?",
                                                                    ""))) == [
        "body.mn: 1025 characters with the title, at most 1024 for a caption "
        "(a post with media is sent as one caption): shorten it",
    ]


def test_message_too_long_without_media(tmp_path: Path) -> None:
    header = HEADER.split("media:")[0].replace("kind: poster", "kind: article")
    assert problems(tmp_path, post_text(header, body="б" * 4077, en="ok")) == []
    assert problems(tmp_path / "2", post_text(header, body="б" * 4078, en="ok")) == [
        "body.mn: 4097 characters with the title, at most 4096 for a message",
    ]


def test_tags_do_not_count_toward_the_length(tmp_path: Path) -> None:
    body = "<b>" + "а" * 1000 + "</b>" + "&amp;" * 4
    assert problems(tmp_path, post_text(body=body)) == []


def test_album_mixing_documents_and_photos(tmp_path: Path) -> None:
    header = HEADER + "  - {type: document, file: handbooks/h.pdf}\n"
    assert problems(tmp_path, post_text(header)) == [
        "media: an album cannot mix documents with photos or videos (Telegram's rule); "
        "put the document in a post of its own",
    ]


def test_an_album_of_photos_loads_and_cannot_carry_buttons(tmp_path: Path) -> None:
    header = HEADER + "  - {type: photo, file: posters/b.png, caption: Хоёр дахь}\n"
    lib = load_library(library(tmp_path, {"p.md": post_text(header)}))
    post = lib.get("good")
    assert post is not None and post.is_album
    assert post.media[1].caption_for("en") == "Хоёр дахь"
    with_buttons = header + "buttons:\n  - {text: Түгээх, action: share}\n"
    assert problems(tmp_path / "2", post_text(with_buttons)) == [
        "buttons: an album cannot carry buttons (Telegram's rule); use one picture, "
        "or remove the buttons",
    ]


def test_first_media_caption_belongs_to_the_body(tmp_path: Path) -> None:
    header = HEADER.replace("file: posters/a.png}", "file: posters/a.png, caption: x}")
    assert problems(tmp_path, post_text(header)) == [
        "media[0].caption: the first item's caption is the post's title and body; "
        "write it there",
    ]


def test_too_many_media(tmp_path: Path) -> None:
    header = HEADER + "  - {type: photo, file: posters/b.png}\n" * 10
    assert problems(tmp_path, post_text(header)) == [
        "media: 11 items, at most 10 (an album holds 2–10)",
    ]


def test_missing_media_file(tmp_path: Path) -> None:
    header = HEADER.replace("posters/a.png", "posters/missing.png")
    assert problems(tmp_path, post_text(header)) == [
        "media[0].file: no such file: media/posters/missing.png",
    ]


def test_media_outside_the_media_folder(tmp_path: Path) -> None:
    header = HEADER.replace("posters/a.png", "../campaigns.yaml")
    assert problems(tmp_path, post_text(header)) == [
        "media[0].file: must be a path under content/media/",
    ]


def test_media_type_and_file_must_agree(tmp_path: Path) -> None:
    header = HEADER.replace("posters/a.png", "handbooks/h.pdf")
    assert problems(tmp_path, post_text(header)) == [
        "media[0].file: a photo must be .jpg, .jpeg, .png",
    ]
    header = HEADER.replace("type: photo", "type: picture")
    assert problems(tmp_path / "2", post_text(header)) == [
        "media[0].type: one of: photo, video, document",
    ]


def test_a_handbook_needs_a_document(tmp_path: Path) -> None:
    header = HEADER.replace("kind: poster", "kind: handbook")
    assert problems(tmp_path, post_text(header)) == [
        "media: a handbook post needs a document in media",
    ]


def test_more_than_three_buttons(tmp_path: Path) -> None:
    header = HEADER + "buttons:\n" + "  - {text: Түгээх, action: share}\n" * 4
    assert problems(tmp_path, post_text(header)) == ["buttons: 4 buttons, at most 3"]


def test_bad_url(tmp_path: Path) -> None:
    header = HEADER + "buttons:\n  - {text: Хуудас, url: 'http://bayanhongor.gov.mn'}\n"
    assert problems(tmp_path, post_text(header)) == [
        "buttons[0].url: must be a full https:// address",
    ]
    header = HEADER + "buttons:\n  - {text: Хуудас, url: 'https://nohost'}\n"
    assert problems(tmp_path / "2", post_text(header)) == [
        "buttons[0].url: must be a full https:// address",
    ]


def test_bad_buttons(tmp_path: Path) -> None:
    header = HEADER + """\
buttons:
  - {text: "", action: share}
  - {text: Аль нь, action: share, url: "https://a.mn"}
  - {text: Юу, action: dance}
"""
    assert problems(tmp_path, post_text(header)) == [
        "buttons[0].text.mn: expected non-empty text",
        "buttons[1]: needs exactly one of url or action",
        "buttons[2].action: one of: useful, share, pledge, complain, survey",
    ]


def test_unknown_campaign(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(HEADER + "campaign: nope\n")) == [
        "campaign: unknown campaign 'nope' (declared in campaigns.yaml: honest-leader, negdye)",
    ]


@pytest.mark.parametrize(("body", "reason"), [
    ("Сайн\n<p>байна</p>", "line 11: tag <p> is not allowed; allowed: b, i, u, s, a, code, "
                          "pre, blockquote (write &lt; for a plain <)"),
    ("<b>тод", "line 10: <b> is never closed"),
    ("<b><i>x</b></i>", "line 10: </b> found where </i> was expected"),
    ("x</b>", "line 10: </b> closes nothing"),
    ("5 < 6", "line 10: a plain '<' must be written &lt;"),
    ("Та & би", "line 10: a plain '&' must be written &amp;"),
    ('<b class="x">x</b>', "line 10: <b> takes no attributes"),
    ('<a href="javascript:alert(1)">x</a>', 'line 10: <a> needs href="https://…" and nothing else'),
    ('<a href="https://a.mn"><a href="https://b.mn">x</a></a>',
     "line 10: a link cannot be inside another link"),
    ("<code><b>x</b></code>", "line 10: <b> cannot be inside <code>"),
])
def test_bad_html(tmp_path: Path, body: str, reason: str) -> None:
    assert problems(tmp_path, post_text(body=body, en=None,
                                        header=HEADER.replace("\n  en: What is corruption?", ""))
                    ) == [f"body.mn: {reason}"]


def test_bad_html_in_english_names_its_line(tmp_path: Path) -> None:
    assert problems(tmp_path, post_text(en="one\n<div>two</div>")) == [
        "body.en: line 14: tag <div> is not allowed; allowed: b, i, u, s, a, code, pre, "
        "blockquote (write &lt; for a plain <)",
    ]


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    header = HEADER.replace("kind: poster", "kind: blog").replace("posters/a.png", "x.png")
    assert problems(tmp_path, post_text(header + "campaign: nope\n")) == [
        "kind: unknown kind 'blog' (one of: news, poster, infographic, video, handbook, "
        "ebook, article, campaign)",
        "campaign: unknown campaign 'nope' (declared in campaigns.yaml: honest-leader, negdye)",
        "media[0].file: no such file: media/x.png",
    ]


def test_good_posts_survive_bad_ones(tmp_path: Path) -> None:
    root = library(tmp_path, {"a.md": post_text(post_id="one"), "b.md": "garbage",
                              "c.md": post_text(post_id="two"),
                              "d.md": b"\xff\xfe".decode("latin-1")})
    (root / "posts" / "d.md").write_bytes(b"\xff\xfe\x00bad")
    lib = load_library(root)
    assert [p.id for p in lib.posts] == ["one", "two"]
    assert [(e.path.name, e.field) for e in lib.errors] == [("b.md", "(file)"),
                                                            ("d.md", "(file)")]
    assert lib.errors[1].reason == "not UTF-8 text"


# --- folder and campaigns file ----------------------------------------------------------------


def test_missing_library_folder_is_one_error(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    lib = load_library(root)
    assert lib.posts == ()
    assert [str(e) for e in lib.errors] == [
        f"{root / 'campaigns.yaml'}: (file): missing",
        f"{root / 'posts'}: (folder): missing",
    ]


def test_missing_posts_folder(tmp_path: Path) -> None:
    root = tmp_path / "content"
    root.mkdir()
    (root / "campaigns.yaml").write_text(CAMPAIGNS, encoding="utf-8")
    assert [str(e) for e in load_library(root).errors] == [f"{root / 'posts'}: (folder): missing"]


def test_broken_campaigns_file_does_not_drop_posts(tmp_path: Path) -> None:
    root = library(tmp_path, {"p.md": post_text(HEADER + "campaign: negdye\n")},
                   campaigns="campaigns:\n  - {code: negdye}\n")
    lib = load_library(root)
    assert [str(e) for e in lib.errors] == [
        f"{root / 'campaigns.yaml'}: campaigns[0].mn: Mongolian text is required",
    ]
    assert lib.get("good") is not None  # its campaign cannot be checked, the post still goes


@pytest.mark.parametrize(("text", "problem"), [
    ("campaigns: [", "(file): line 1: not valid YAML: expected the node content, but found "
                     "'<stream end>'"),
    ("{}", "campaigns: expected a list of campaigns"),
    ("campaigns:\n  - {code: Bad, mn: x}", "campaigns[0].code: 1–40 of a-z, 0-9, - "
                                            "(starting a-z or 0-9)"),
    ("campaigns:\n  - {code: a, mn: x}\n  - {code: a, mn: y}",
     "campaigns[1].code: duplicate code 'a'"),
    ("campaigns:\n  - {code: a, mn: x, about: y}", "campaigns[0].about: unknown field "
                                                    "(code, mn, en)"),
])
def test_bad_campaigns_file(tmp_path: Path, text: str, problem: str) -> None:
    root = library(tmp_path, {}, campaigns=text)
    assert [f"{e.field}: {e.reason}" for e in load_library(root).errors] == [problem]


# --- check() ----------------------------------------------------------------------------------


def test_check_clean(tmp_path: Path) -> None:
    root = library(tmp_path, {"p.md": post_text()})
    out = io.StringIO()
    assert check(root, out) == 0
    assert out.getvalue() == (f"{root}: OK, 1 post, 1 media file, 2 campaigns, "
                              "1 organization\n")


def test_check_prints_every_problem_and_a_summary(tmp_path: Path) -> None:
    root = library(tmp_path, {
        "a.md": post_text(HEADER.replace("kind: poster", "kind: blog")),
        "b.md": post_text(HEADER + "campaign: nope\n", post_id="b"),
        "c.md": post_text(post_id="fine"),
    }, orgs="groups: nope\n")
    out = io.StringIO()
    assert check(root, out) == 1
    posts = root / "posts"
    assert out.getvalue().splitlines() == [
        f"{posts / 'a.md'}: kind: unknown kind 'blog' (one of: news, poster, infographic, "
        "video, handbook, ebook, article, campaign)",
        f"{posts / 'b.md'}: campaign: unknown campaign 'nope' (declared in campaigns.yaml: "
        "honest-leader, negdye)",
        f"{root / 'organizations.yaml'}: groups: expected a list of groups",
        f"{root}: 3 problems in 3 files; loaded 1 post, 1 media file, 2 campaigns, "
        "0 organizations",
    ]


def test_check_reports_a_missing_organizations_file(tmp_path: Path) -> None:
    root = library(tmp_path, {"p.md": post_text()}, orgs=None)
    out = io.StringIO()
    assert check(root, out) == 1
    assert out.getvalue().splitlines()[0] == f"{root / 'organizations.yaml'}: (file): missing"


def test_check_relative_paths_read_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    library(tmp_path, {"p.md": post_text(HEADER.replace("kind: poster", "kind: x"))})
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert check(Path("content"), out) == 1
    assert out.getvalue().startswith("content/posts/p.md: kind: unknown kind 'x'")


# --- the live library: keep the last good version ---------------------------------------------


def _touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_content_library_keeps_the_last_good_post(tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    root = library(tmp_path, {"p.md": post_text()})
    live = ContentLibrary(root)
    assert live.errors == () and live.get("good") is not None
    assert live.refresh() == []  # nothing changed

    path = root / "posts" / "p.md"
    _touch(path, post_text(HEADER.replace("kind: poster", "kind: blog")))
    new = live.refresh()
    assert [e.field for e in new] == ["kind"]
    assert live.get("good") is not None, "the last good version stays"
    assert "keeping its last good version" in caplog.text
    assert live.refresh() == [], "reported once"

    _touch(root / "posts" / "new.md", "garbage")  # a new broken file is skipped
    again = live.refresh()
    assert [(e.path.name, e.field) for e in again] == [("new.md", "(file)")]
    assert [p.id for p in live.posts] == ["good"]

    _touch(path, post_text(body="Шинэ бичвэр.\n"))
    assert live.refresh() == []
    post = live.get("good")
    assert post is not None and post.body["mn"] == "Шинэ бичвэр."
    assert [e.path.name for e in live.errors] == ["new.md"]

    path.unlink()
    live.refresh()
    assert live.get("good") is None, "a deleted post goes"
    assert isinstance(live.library, Library)


def test_content_error_is_the_orgs_one() -> None:
    from bot.core import content

    assert content.ContentError is ContentError


# --- the HTML check against Telegram's parser -------------------------------------------------

_TOKENS = ["<b>", "</b>", "<i>", "</i>", "<u>", "</u>", "<s>", "</s>", "<code>", "</code>",
           "<pre>", "</pre>", "<blockquote>", "</blockquote>", '<a href="https://a.mn/x">',
           "</a>", "&amp;", "&lt;", "&#1257;", "&", "<", ">", "Ө", "ү", "x", " ", "\n", "<p>"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=12))
def test_html_we_accept_telegram_accepts_with_the_same_text(tokens: list[str]) -> None:
    text = "".join(tokens)
    try:
        visible = check_html(text)
    except HtmlError:
        return
    plain, _ = parse_html(text)
    assert plain.strip() == visible
