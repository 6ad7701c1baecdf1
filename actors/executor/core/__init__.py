"""The executor's pure core: the order state (``order_state``) and the rules beside it; no sockets, clocks,
env or logging (docs/architecture.md)."""
