"""Merging pairs and redeeming winners: a part of the executor of its own (the only key holder), wired
explicitly in ``main.py`` like the balance check.

- ``config``: ``SettlementConfig`` (``PM_SETTLE_*``, the relayer API key a proxy, Safe or deposit wallet
  needs);
- ``rules``: pure: which merge or redemption to run (``MergePairs`` commands, inventory's states), the
  settlements inventory has not acknowledged yet (pushed again until their echo arrives);
- ``sdk``: the blocking calls, through polymarket-client's own ``merge_positions`` / ``redeem_positions``
  (never a hand-rolled transaction), with the venue's balances read first;
- ``part``: the shell's part: a ``bus.bridge.Bridge`` worker for the SDK, the handlers, the timer, the
  outbox made durable (``store``).
"""
