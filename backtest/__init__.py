"""Backtesting through the engine's own pure code: the recording format (``recfile``), the simulated
exchange (``exchange``), the event loop (``engine``), the report (``report``) and the command line
(``cli``)."""
