"""The sandbox: the real bot against the fake Bot API, with a web page standing in for Telegram.

Nothing here can reach Telegram: the bot's `BOT_API_URL` points at the fake on 127.0.0.1.
"""
