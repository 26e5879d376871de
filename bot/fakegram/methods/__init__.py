"""Bot API method implementations, grouped by what they act on.

Each group exposes ``handlers()``: Bot API method names mapped to coroutines taking the
request's ``Params``. ``bot.fakegram.api.BotApi`` merges them into one dispatch table.
"""
