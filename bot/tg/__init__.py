"""The Telegram adapter: thin handlers over `bot.core`, one module per audience and flow."""

import os

# Opt in to PTB's coming behaviour (RetryAfter.retry_after as a timedelta) instead of a
# deprecation warning on every 429; no code of ours reads the old integer form.
os.environ.setdefault("PTB_TIMEDELTA", "1")
