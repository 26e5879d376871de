"""The 110 box online: an anti-corruption citizen bot for Telegram (and, later, Messenger)."""

__version__ = "0.1.0"
