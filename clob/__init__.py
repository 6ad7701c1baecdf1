"""Polymarket CLOB V2 primitives shared by the executor and the local venue (pure; no I/O, no clocks).

``eip712`` (keccak, domains, Order / ClobAuth digests), ``signer`` (coincurve signing, recovery),
``orders`` (SDK-exact amounts, build, sign), ``order_json`` (POST /order bodies, strict parsing,
signature check), ``auth`` (L1 / L2 headers, build and verify).
"""
