"""The Telegram adapter: thin handlers over `bot.core`, one module per audience and flow."""
