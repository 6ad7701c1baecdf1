"""Inventory against the venue's token balances, per leased market: a part of the executor of its own."""
