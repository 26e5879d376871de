"""The Page's own posts (`/{page-id}/feed`, `/photos`, `/videos`), their fields and insights."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from . import limits as L
from .errors import GraphApiError, insights_unavailable, invalid_parameter
from .state import PagePost, World

# Post metrics the fake answers. Impression metrics (post_impressions, _unique, _paid …)
# were removed in 2025 and are refused like any unknown metric, as Meta does.
POST_METRICS = {
    "post_total_media_view_unique": ("Lifetime Post Total Media Views Unique",
                                     "The number of people who saw the post", "views"),
    "post_media_view": ("Lifetime Post Media Views", "The number of times the post was seen",
                        "views"),
    "post_reactions_by_type_total": ("Lifetime Total post Reactions by Type",
                                     "Total post reactions by type.", "reactions"),
}
SMALL_PAGE_ANSWERS = ("error", "empty")
UPLOAD_MAX = 10 * 1024 * 1024  # photo uploads (fake's limit; see docs/messenger.md)


def _post_id(world: World) -> str:
    return f"{world.page_id}_{world.next_id():015d}"


def publish_feed(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """A text or link post."""
    message, link = params.get("message"), params.get("link")
    if not message and not link:
        raise invalid_parameter("Missing message or link")
    if link is not None and not str(link).startswith(("https://", "http://")):
        raise invalid_parameter("param link must be a URL")
    post = PagePost(_post_id(world), "link" if link else "status", str(message or ""),
                    world.clock(), link=str(link) if link else None)
    world.posts[post.id] = post
    return {"id": post.id}


def publish_photo(world: World, params: dict[str, Any], upload_size: int | None
                  ) -> dict[str, Any]:
    """A photo post, from a URL or an upload (``source``)."""
    url = params.get("url")
    if upload_size is None and not (isinstance(url, str) and url.startswith(("https://",
                                                                            "http://"))):
        raise invalid_parameter("param url or an uploaded source is required")
    if upload_size is not None and upload_size > UPLOAD_MAX:
        raise invalid_parameter("The photo is larger than the 10 MB the fake accepts")
    photo_id = str(world.next_id()).zfill(15)
    post = PagePost(_post_id(world), "photo", str(params.get("message") or
                                                   params.get("caption") or ""),
                    world.clock(), media_id=photo_id, media_bytes=upload_size or 0)
    world.posts[post.id] = post
    return {"id": photo_id, "post_id": post.id}


def publish_video(world: World, params: dict[str, Any], upload_size: int | None
                  ) -> dict[str, Any]:
    """A video post, from ``file_url`` or an upload (``source``); answers the video's id."""
    url = params.get("file_url")
    if upload_size is None and not (isinstance(url, str) and url.startswith(("https://",
                                                                            "http://"))):
        raise invalid_parameter("param file_url or an uploaded source is required")
    video_id = str(world.next_id()).zfill(15)
    post = PagePost(_post_id(world), "video", str(params.get("description") or ""),
                    world.clock(), media_id=video_id, media_bytes=upload_size or 0)
    world.posts[post.id] = post
    world.videos[video_id] = post.id
    return {"id": video_id}


def _wanted(fields: str | None) -> list[str]:
    """Top-level field names of a ``fields`` expression such as ``reactions.summary(true)``."""
    if not fields:
        return ["id"]
    names, depth, current = [], 0, ""
    for char in fields:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names.append(current)
    return [re.split(r"[.{(]", name.strip(), maxsplit=1)[0] for name in names if name.strip()]


def read_object(world: World, object_id: str, fields: str | None) -> dict[str, Any]:
    """``GET /{post-id}`` or ``GET /{video-id}`` with the fields asked for."""
    if object_id in world.videos:
        found: dict[str, Any] = {"id": object_id}
        for name in _wanted(fields):
            if name == "post_id":
                found["post_id"] = world.videos[object_id]
            elif name != "id":
                raise invalid_parameter(f"Tried accessing nonexisting field ({name}) on node "
                                        "type (Video)")
        return found
    post = world.posts.get(object_id)
    if post is None:
        raise GraphApiError(100, f"Unsupported get request. Object with ID '{object_id}' does "
                            "not exist", subcode=33, kind="GraphMethodException")
    result: dict[str, Any] = {"id": post.id}
    for name in _wanted(fields):
        if name == "message":
            if post.message:
                result["message"] = post.message
        elif name == "created_time":
            result["created_time"] = dt.datetime.fromtimestamp(
                post.created_time, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        elif name == "permalink_url":
            result["permalink_url"] = f"https://www.facebook.com/{post.id.replace('_', '/posts/')}"
        elif name == "shares":
            if post.shares:  # Meta leaves the field out while nobody has shared the post
                result["shares"] = {"count": post.shares}
        elif name == "reactions":
            result["reactions"] = {"data": [], "summary": {"total_count": post.reactions,
                                                           "viewer_reaction": "NONE"}}
        elif name == "comments":
            result["comments"] = {"data": [], "summary": {"order": "ranked",
                                                          "total_count": post.comments,
                                                          "can_comment": True}}
        elif name != "id":
            raise invalid_parameter(f"Tried accessing nonexisting field ({name}) on node type "
                                    "(PagePost)")
    return result


def insights(world: World, object_id: str, metric: str | None, small_page: str
             ) -> dict[str, Any]:
    """``GET /{post-id}/insights?metric=…``: lifetime values, only for Pages of 100+ likes."""
    post = world.posts.get(object_id)
    if post is None:
        raise GraphApiError(100, f"Unsupported get request. Object with ID '{object_id}' does "
                            "not exist", subcode=33, kind="GraphMethodException")
    names = [m.strip() for m in (metric or "").split(",") if m.strip()]
    if not names:
        raise GraphApiError(3001, "No metric was specified to be fetched. Please specify one "
                            "or more metrics to be fetched and try again.", subcode=1504028)
    for name in names:
        if name not in POST_METRICS:
            raise invalid_parameter("The value must be a valid insights metric")
    if world.page_likes < L.INSIGHTS_MIN_LIKES:
        if small_page == "error":
            raise insights_unavailable()
        return {"data": []}
    data = []
    for name in names:
        title, description, source = POST_METRICS[name]
        value: Any = getattr(post, source)
        if name == "post_reactions_by_type_total":
            value = {"like": post.reactions} if post.reactions else {}
        data.append({"name": name, "period": "lifetime", "values": [{"value": value}],
                     "title": title, "description": description,
                     "id": f"{post.id}/insights/{name}/lifetime"})
    return {"data": data}
