"""``make dash``: a full-screen terminal dashboard of the running engine that only listens to the bus."""
