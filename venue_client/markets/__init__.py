"""Market resolution for the coordinators: a slug or rotating prefix -> ``MarketInfo`` (Gamma + CLOB).

``slugs`` (window arithmetic), ``resolve`` (JSON -> MarketInfo), ``gamma`` (HTTP), ``resolver``
(retries, current / next window, prefetch), ``config`` (``PM_WINDOW_SECONDS`` and friends).
"""
