"""Handlers citizens use, in private chats only."""
