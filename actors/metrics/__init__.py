"""The metrics program: Prometheus ``/metrics`` from what it hears on the bus (it publishes nothing but
its heartbeat)."""
