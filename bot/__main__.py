"""`python -m bot run`: the bot, with long polling (or a webhook if BOT_WEBHOOK_URL is set)."""

from __future__ import annotations

import argparse
import sys

from bot.config import ConfigError, Settings
from bot.core.crypto import generate_key


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (needs BOT_TOKEN)")
    commands.add_parser("keygen", help="print a new value for BOT_SECRET_KEY")
    args = parser.parse_args(argv)

    if args.command == "keygen":
        print(generate_key())
        return 0
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if not settings.token:
        print("BOT_TOKEN is not set: get one from @BotFather (see README.md).", file=sys.stderr)
        return 2
    from bot.tg.app import ALLOWED_UPDATES, build_app, configure_logging, webhook_options

    configure_logging(settings.log_level)
    app = build_app(settings)
    if settings.webhook_url:
        app.run_webhook(**webhook_options(settings))
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
