"""Strategies: pure functions from their inputs to the quotes they want (one module each).

Every strategy has the same shape (``base.Strategy``): ``decide(Inputs) -> Decision``. It never sends
anything; the risk layer (``actors.coordinator.risk``) filters and adjusts what it wants, and the
reconciler turns the result into commands. ``build`` picks one by its ``PM_STRATEGY`` name.
"""
