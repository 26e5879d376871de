"""The command line's export and offline-import commands (wired in `bot/__main__.py`).

    python -m bot export --from 2026-01-01 --to 2026-06-30 --format xlsx --out h1.xlsx
    python -m bot export --from 2026-01-01 --to 2026-06-30 --format csv --out h1.zip
    python -m bot export --from 2026-01-01 --to 2026-06-30 --format csv --out h1/
    python -m bot log import activities.csv --staff 123456789

Both read the bot's data folder (BOT_DATA_DIR, as the bot does) and may run while the bot
does: WAL lets them read, and the import's one short transaction waits for the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings
from bot.core import offline
from bot.core.backend import Backend, open_backend
from bot.core.content import parse_campaigns
from bot.core.crypto import KEY_FILE
from bot.core.errors import NotAuthorized
from bot.core.orgs import ContentError, OrgDirectory
from bot.export import FORMATS, ExportError, Names, export


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date like 2026-06-30") from None


def add_commands(commands: Any) -> None:
    """`export` and `log import` on the main parser's subcommands."""
    exporting = commands.add_parser(
        "export", help="a period's figures as an XLSX workbook or CSV files (a folder or .zip)")
    exporting.add_argument("--from", dest="first", type=_date, required=True,
                           help="first local day, YYYY-MM-DD")
    exporting.add_argument("--to", dest="last", type=_date, required=True,
                           help="last local day, YYYY-MM-DD (inclusive)")
    exporting.add_argument("--format", choices=FORMATS, default="xlsx",
                           help="xlsx (default), or csv: one file per sheet")
    exporting.add_argument("--out", type=Path, required=True,
                           help="the .xlsx file; for csv a folder, or a file ending in .zip")
    logging_ = commands.add_parser("log", help="offline work staff did (trainings, radio …)")
    log_commands = logging_.add_subparsers(dest="log_command", required=True)
    importing = log_commands.add_parser(
        "import", help="add the rows of a CSV file; print each refused row as file:line: field")
    importing.add_argument("file", type=Path,
                           help="columns: date,measure,kind,title,times,people,place,note")
    importing.add_argument("--staff", type=int, required=True,
                           help="the Telegram id of the staff member the entries are by")


def run(args: argparse.Namespace) -> int | None:
    """Run `export` or `log import`; None if the command is neither."""
    if args.command not in ("export", "log"):
        return None
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if not settings.db_path.exists():
        print(f"no database at {settings.db_path}: set BOT_DATA_DIR to the bot's data folder",
              file=sys.stderr)
        return 2
    if not settings.secret_key and not (settings.data_dir / KEY_FILE).exists():
        # open_backend would make a new key, and the database would then refuse it.
        print(f"no key in {settings.data_dir}: restore {KEY_FILE} or set BOT_SECRET_KEY",
              file=sys.stderr)
        return 2
    if args.command == "export":
        return asyncio.run(_export(settings, args))
    return asyncio.run(_import(settings, args.file, args.staff))


def names_for(settings: Settings) -> Names:
    """Organization and campaign names from the content folder, as the bot shows them."""
    orgs = OrgDirectory(settings.content_dir / "organizations.yaml")
    campaigns: dict[str, str] = {}
    path = settings.content_dir / "campaigns.yaml"
    try:
        found = parse_campaigns(path, path.read_text(encoding="utf-8"))
        campaigns = {code: c.name("mn") for code, c in found.items()}
    except (OSError, ContentError):
        pass  # codes are shown instead of names

    def org(code: str) -> str | None:
        found = orgs.get(code)
        return None if found is None else found.name("mn")

    return Names(org=org, campaigns=campaigns)


async def _backend(settings: Settings) -> Backend:
    return await open_backend(settings, dt.datetime.now(dt.UTC))


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    backend = await _backend(settings)
    try:
        if args.format == "xlsx":
            args.out.parent.mkdir(parents=True, exist_ok=True)
        out = await export(backend, args.first, args.last, args.format, args.out,
                           dt.datetime.now(dt.UTC), names=names_for(settings))
    except (ExportError, ValueError) as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    finally:
        await backend.close()
    print(f"wrote {out}")
    return 0


async def _import(settings: Settings, file: Path, staff_id: int) -> int:
    try:
        text = offline.decode_csv(await asyncio.to_thread(file.read_bytes))
    except OSError as exc:
        print(f"{file}: {exc.strerror}", file=sys.stderr)
        return 2
    except offline.ActivityError as exc:
        print(f"{file}: {exc}", file=sys.stderr)
        return 2
    backend = await _backend(settings)
    try:
        result = await offline.import_csv(backend, staff_id, text, dt.datetime.now(dt.UTC))
    except NotAuthorized:
        print(f"{staff_id} is not staff who may record offline work (admin, officer, editor)",
              file=sys.stderr)
        return 2
    finally:
        await backend.close()
    for line, field, reason in result.problems:
        print(f"{file}:{line}: {field}: {reason}")
    print(f"{file}: {result.added} rows added, {len(result.problems)} refused")
    return 1 if result.problems else 0
