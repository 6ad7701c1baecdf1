"""``python -m backtest``: see ``backtest.cli``."""

from backtest.cli import main

raise SystemExit(main())
