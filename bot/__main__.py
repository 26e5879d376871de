"""`python -m bot`: run the bot, or the sandbox when no token is configured.

- `python -m bot run`: the bot on Telegram (needs BOT_TOKEN; long polling, or a webhook if
  BOT_WEBHOOK_URL is set)
- `python -m bot demo`: the sandbox, the bot with a fake Telegram and a web chat on 127.0.0.1
- `python -m bot`: `run` if BOT_TOKEN is set (environment or .env), else `demo`
- `python -m bot keygen`: a new value for BOT_SECRET_KEY
- `python -m bot content check [--dir content]`: every problem in the content library
- `python -m bot report --year Y [--half 1|2] --out PATH.docx`: the plan implementation
  report in the office's five-column format; see `bot/report/`
- `python -m bot export --from DATE --to DATE --format xlsx|csv --out PATH`: a period's
  figures (CSV: a folder, or a zip if PATH ends in .zip); see `bot/export/`
- `python -m bot log import FILE --staff ID`: offline work from a CSV file
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.core.crypto import generate_key
from bot.export import cli as export_cli
from bot.report import cli as report_cli


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot on Telegram (needs BOT_TOKEN)")
    demo = commands.add_parser("demo", help="run the sandbox in a browser, no token needed")
    demo.add_argument("--port", type=int, default=8110, help="web page port (default 8110)")
    demo.add_argument("--data", type=Path, default=None,
                      help="data folder (default: a fresh temporary folder)")
    demo.add_argument("--empty", action="store_true", help="start without demo data")
    commands.add_parser("keygen", help="print a new value for BOT_SECRET_KEY")
    content = commands.add_parser("content", help="the content library")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    content_check = content_commands.add_parser(
        "check", help="validate every post, media file and organization; print each problem")
    content_check.add_argument("--dir", type=Path, default=None,
                               help="the content folder (default: BOT_CONTENT_DIR or content/)")
    report_cli.add_commands(commands)
    export_cli.add_commands(commands)
    args = parser.parse_args(argv)

    if args.command == "keygen":
        print(generate_key())
        return 0
    if args.command == "demo":
        return _demo(args.port, args.data, not args.empty)
    if (reported := report_cli.run(args)) is not None:
        return reported
    if (done := export_cli.run(args)) is not None:
        return done
    if args.command == "content":
        from bot.core.content import check

        folder = args.dir or Settings.from_env().content_dir
        return check(folder, sys.stdout)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if not settings.token:
        if args.command is None:
            print("No BOT_TOKEN configured: starting the sandbox instead.", file=sys.stderr)
            return _demo(8110, None, True)
        print("BOT_TOKEN is not set: get one from @BotFather (see README.md).", file=sys.stderr)
        return 2
    return _run(settings)


def _demo(port: int, data: Path | None, seed: bool) -> int:
    from bot.sandbox.demo import main as demo_main

    return demo_main(port, data, seed)


def _run(settings: Settings) -> int:
    from bot.tg.app import ALLOWED_UPDATES, build_app, configure_logging, webhook_options

    configure_logging(settings.log_level)
    app = build_app(settings)
    if settings.facebook is not None:  # also Messenger, same loop and port: bot/messenger/serve.py
        from bot.messenger.serve import serve

        return serve(app)
    if settings.webhook_url:
        app.run_webhook(**webhook_options(settings))
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
