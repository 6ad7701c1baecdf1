"""The executor: the only holder of the private key and the only caller of trading endpoints."""
