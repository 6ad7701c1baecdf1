"""Polymarket CLOB V2 primitives shared by the executor and the local venue (pure; no I/O, no clocks).

``eip712`` (keccak, domains, Order / ClobAuth digests), ``signer`` (coincurve signing, recovery),
``orders`` (SDK-exact amounts, build, sign: signature types 0-3), ``poly1271`` (the deposit wallet's
ERC-7739 ``TypedDataSign`` envelope), ``wallets`` (proxy / Safe / deposit-wallet addresses derived
from the owner, as the SDK derives them), ``order_json`` (POST /order bodies, strict parsing, the
exchange's per-type signature check), ``auth`` (L1 / L2 headers, build and verify), ``rewards`` (the
liquidity-rewards scoring formula, PROTOCOL §8.2).
"""
