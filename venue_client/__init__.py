"""The engine's client side of the venue (the local paper exchange or Polymarket): where it is
(``endpoints``: URLs, the loopback rule of paper mode in ``urls``), how this account authenticates
(API credentials and their hand-off file), what a market is (``markets``: Gamma + CLOB resolution), and
how its WebSockets are opened, read, written and closed (``ws``, ``wsframes``).

Libraries, not programs: the actors under ``actors/`` import them. ``venue/`` is the server side.
"""
