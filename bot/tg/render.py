"""How cases and threads read in a chat, for citizens and for staff (HTML)."""

from __future__ import annotations

import datetime as dt
import json

from bot.core.models import Author, CaseSummary, CitizenView, Status, ThreadEntry
from bot.i18n import t
from bot.tg.common import Services, esc, fmt_date, kind_name, org_name, status_name


def system_line(lang: str, body: str) -> str:
    """A system entry (status change, extension), stored as data, in the reader's language."""
    try:
        data = json.loads(body)
        event = data["event"]
    except (ValueError, KeyError, TypeError):
        return esc(body)
    if event == "extended":
        return t(lang, "thread.extended", until=fmt_date(dt.date.fromisoformat(data["until"])),
                 reason=esc(data.get("reason", "")))
    if event == "status":
        line = t(lang, "thread.status", status=status_name(lang, Status(data["status"])))
        if data.get("reason"):
            line += "\n" + t(lang, "thread.reason", reason=esc(data["reason"]))
        return line
    return esc(body)


def thread_blocks(lang: str, thread: tuple[ThreadEntry, ...], *, for_staff: bool) -> list[str]:
    """The thread, oldest first, as blocks for `pack`; staff also see internal notes."""
    blocks: list[str] = []
    for entry in thread:
        if entry.author is Author.SYSTEM:
            who, body = t(lang, "thread.system"), system_line(lang, entry.body)
        elif entry.author is Author.CITIZEN:
            who = t(lang, "thread.citizen_staffview" if for_staff else "thread.you")
            body = esc(entry.body)
        else:
            who = t(lang, "thread.office")
            if for_staff:
                who = t(lang, "thread.note" if entry.internal else "thread.office_staffview",
                        staff=entry.staff_id or "?")
            body = esc(entry.body)
        files = t(lang, "thread.files", n=len(entry.attachments)) if entry.attachments else ""
        heading = f"— <i>{fmt_date(entry.created_on)} · {who}</i>{files}"
        if entry.author is Author.SYSTEM or len(heading) + len(body) < 3000:
            blocks.append(f"{heading}\n{body}")  # short: one block, never split
        else:
            blocks += [heading, body]  # the long body is escaped text only: safe to split
    return blocks


def citizen_view(svc: Services, lang: str, view: CitizenView) -> list[str]:
    """What `/status` shows, as blocks for `pack`."""
    deadline = fmt_date(view.due_on)
    if view.extended:
        deadline += " " + t(lang, "status.extended_mark")
    text = t(lang, "status.view", number=view.complaint_id, kind=kind_name(lang, view.kind),
             org=esc(org_name(svc, lang, view.org_code)), received=fmt_date(view.received_on),
             deadline=deadline, status=status_name(lang, view.status))
    thread = thread_blocks(lang, view.thread, for_staff=False)
    return [text, *thread] if thread else [text, t(lang, "status.no_replies")]


def case_line(svc: Services, lang: str, case: CaseSummary, today: dt.date) -> str:
    """One inbox or digest line: number, kind, whom, status, deadline and days left."""
    days = (case.due_on - today).days
    left = (t(lang, "inbox.overdue", days=-days) if days < 0
            else t(lang, "inbox.days_left", days=days))
    return t(lang, "inbox.line", number=case.complaint_id, kind=kind_name(lang, case.kind),
             org=esc(org_name(svc, lang, case.org_code)), status=status_name(lang, case.status),
             due=fmt_date(case.due_on), left=left)
