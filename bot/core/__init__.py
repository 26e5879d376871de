"""Channel-agnostic domain logic: plain async functions over a `Backend`.

Nothing here imports `telegram`: the Messenger adapter reuses this package unchanged.
"""
