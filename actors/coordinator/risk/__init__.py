"""The risk layer: between every strategy and the reconciler (seed-003 §3.4, §4), pure.

- ``params``: the settings, with each strategy's defaults;
- ``limits``: reduce-only and the hard cap on |net_diff|, applied to what a strategy wants;
- ``halts``: shock halt, stop-loss, take-profit and an operator's halt (when they start and end);
- ``exits``: what a halt that flattens rests (post-only sells at the touch) and the opt-in taker exit's
  depth walk;
- ``layer.RiskLayer``: the state (the halt in force, reduce-only, what was last announced) and the one
  place that publishes ``RiskEvent`` / ``StrategyAdjust`` and logs ``risk_event`` / ``strategy_adjust``.
"""
