"""Handlers staff use; access is checked by filters at registration and again in the core."""
