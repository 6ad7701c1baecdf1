"""The venue's merge and redemption on the ledger (venue.settlement), and the encodings the paper chain
reads (venue.server.evm), against what polymarket-client and eth-account produce."""

from __future__ import annotations

import pytest
from eth_account import Account
from polymarket._internal.actions.relayer.calls import (
    ctf_merge_positions_call,
    ctf_redeem_positions_call,
    encode_proxy_call,
    erc1155_balance_of_batch_call,
)

from schemas.units import MICRO
from tests.support.venue_harness import ADDRESSES, Harness
from venue.config import VenueConfig
from venue.server.chain import (
    BALANCE_OF_BATCH,
    COLLATERAL_TOKEN,
    CONDITIONAL_TOKENS,
    MERGE,
    REDEEM,
    Call,
    Chain,
)
from venue.server.evm import Args, EvmError, legacy_transaction, rlp_decode, rlp_encode
from venue.settlement import NOT_PREPARED, NOT_RESOLVED, SHORT, Revert

ADAPTER = "0xAdA100Db00Ca00073811820692005400218FcE1f"


def harness() -> Harness:
    return Harness(VenueConfig(flow=False, mined_delay_ms=0, confirmed_delay_ms=0))


def test_a_merge_burns_one_of_each_token_per_pair_and_credits_one_pusd() -> None:
    h = harness()
    h.grant("alice", h.yes, "7")
    h.grant("alice", h.no, "9")
    cash = h.cash("alice")
    settled = h.ex.merge(address=ADDRESSES["alice"], condition_id=h.market().condition_id, amount=5 * MICRO)
    assert (h.shares("alice", h.yes), h.shares("alice", h.no)) == (2 * MICRO, 4 * MICRO)
    assert h.cash("alice") - cash == 5 * MICRO
    assert (settled.burned, settled.paid) == ((5 * MICRO, 5 * MICRO), 5 * MICRO)
    h.ex.undo(settled)
    assert (h.shares("alice", h.yes), h.cash("alice")) == (7 * MICRO, cash)


@pytest.mark.parametrize(("name", "yes", "no", "reserve", "amount"), [
    ("short of YES", "4", "9", "", 5),
    ("short of NO", "9", "4", "", 5),
    ("holds neither", "0", "0", "", 1),
    ("enough, but an open SELL reserves some", "8", "8", "SELL 5", 5),
])
def test_a_merge_beyond_the_free_balance_reverts_and_moves_nothing(name: str, yes: str, no: str, reserve: str,
                                                                    amount: int) -> None:
    h = harness()
    h.grant("alice", h.yes, yes)
    h.grant("alice", h.no, no)
    if reserve:
        assert h.place("alice", h.yes, "SELL", "0.9", reserve.split()[1], post_only=True).status == 200
    before = (h.shares("alice", h.yes), h.shares("alice", h.no), h.cash("alice"))
    with pytest.raises(Revert) as refused:
        h.ex.merge(address=ADDRESSES["alice"], condition_id=h.market().condition_id, amount=amount * MICRO)
    assert refused.value.reason == SHORT, name
    assert (h.shares("alice", h.yes), h.shares("alice", h.no), h.cash("alice")) == before


def test_unknown_conditions_revert() -> None:
    h = harness()
    for call in (lambda: h.ex.merge(address=ADDRESSES["alice"], condition_id="0x" + "00" * 32, amount=1),
                 lambda: h.ex.redeem(address=ADDRESSES["alice"], condition_id="0x" + "00" * 32)):
        with pytest.raises(Revert, match=NOT_PREPARED):
            call()


def test_a_redemption_waits_for_the_resolution_then_pays_the_winners_and_burns_the_losers() -> None:
    h = harness()
    market = h.market()
    h.grant("alice", h.yes, "10")
    h.grant("alice", h.no, "4")
    with pytest.raises(Revert, match=NOT_RESOLVED):
        h.ex.redeem(address=ADDRESSES["alice"], condition_id=market.condition_id)
    h.ex.oracle.spot["btc"] *= 0.99  # Down wins
    h.advance(300)
    assert market.winner == 1
    cash = h.cash("alice")
    settled = h.ex.redeem(address=ADDRESSES["alice"], condition_id=market.condition_id)
    assert (settled.burned, settled.paid) == ((10 * MICRO, 4 * MICRO), 4 * MICRO)
    assert h.cash("alice") - cash == 4 * MICRO and h.ex.positions(ADDRESSES["alice"]) == {}
    again = h.ex.redeem(address=ADDRESSES["alice"], condition_id=market.condition_id)  # holds nothing: pays 0
    assert (again.burned, again.paid, again.deltas) == ((0, 0), 0, [])


def test_the_chain_decodes_the_sdks_calls_and_a_batch_is_all_or_nothing() -> None:
    h = harness()
    market, alice = h.market(), ADDRESSES["alice"]
    h.grant("alice", h.yes, "3")
    h.grant("alice", h.no, "3")
    chain = Chain(h.ex)
    merge = ctf_merge_positions_call(target=ADAPTER, collateral=COLLATERAL_TOKEN,  # type: ignore[arg-type]
                                     condition_id=market.condition_id, amount=2 * MICRO)
    call = Call(str(merge.to), 0, bytes.fromhex(merge.data[2:]))
    assert call.data[:4] == MERGE
    cash = h.cash("alice")
    assert chain.simulate(alice, [call, call]) == SHORT and h.cash("alice") == cash  # 4 > 3: undone
    assert chain.execute(alice, [call, call]) == SHORT and h.cash("alice") == cash  # the first one undone too
    assert chain.execute(alice, [call]) == "" and h.cash("alice") - cash == 2 * MICRO
    redeem = ctf_redeem_positions_call(ctf=ADAPTER, collateral=COLLATERAL_TOKEN,  # type: ignore[arg-type]
                                       condition_id=market.condition_id)
    assert bytes.fromhex(redeem.data[2:])[:4] == REDEEM
    assert chain.execute(alice, [Call(str(redeem.to), 0, bytes.fromhex(redeem.data[2:]))]) == NOT_RESOLVED
    assert chain.execute(alice, [Call(CONDITIONAL_TOKENS, 0, b"\x12\x34\x56\x78")]) != ""  # anything else

    view = erc1155_balance_of_batch_call(token_address=CONDITIONAL_TOKENS,  # type: ignore[arg-type]
                                         owners=[alice, alice], token_ids=[h.yes, h.no])  # type: ignore[list-item]
    data = bytes.fromhex(view.data[2:])
    assert data[:4] == BALANCE_OF_BATCH
    answer = chain.view(CONDITIONAL_TOKENS, data)
    assert answer is not None and Args(bytes.fromhex(answer[2:])).uints(0) == [MICRO, MICRO]


def test_a_signed_legacy_transaction_decodes_to_its_sender_and_call() -> None:
    account = Account.from_key("0x" + "51" * 32)
    tx = {"to": ADAPTER, "value": 0, "data": "0xdeadbeef", "gas": 200_000, "gasPrice": 30 * 10**9, "nonce": 7,
          "chainId": 137}
    signed = account.sign_transaction(tx)
    decoded = legacy_transaction(bytes(signed.raw_transaction))
    assert (decoded.sender, decoded.nonce, decoded.to, decoded.data, decoded.chain_id) == (
        account.address, 7, ADAPTER, bytes.fromhex("deadbeef"), 137)
    assert decoded.hash == "0x" + bytes(signed.hash).hex()
    with pytest.raises(EvmError):
        legacy_transaction(bytes(signed.raw_transaction)[:-3])


@pytest.mark.parametrize("item", [b"", b"\x01", b"\x80", b"x" * 60, [], [b"a", [b"b", b""]], [b"y" * 70] * 3])
def test_rlp_round_trips(item: bytes | list[object]) -> None:
    assert rlp_decode(rlp_encode(item)) == item  # type: ignore[arg-type]


def test_a_proxy_batch_decodes_to_its_calls() -> None:
    merge = ctf_merge_positions_call(target=ADAPTER, collateral=COLLATERAL_TOKEN,  # type: ignore[arg-type]
                                     condition_id="0x" + "ab" * 32, amount=5)
    data = bytes.fromhex(encode_proxy_call([merge, merge])[2:])
    args = Args(data[4:])
    starts = args.tuples(0)
    assert len(starts) == 2
    assert [(args.uint(0, s), args.address(1, s), args.blob(3, s)) for s in starts] == [
        (1, ADAPTER, bytes.fromhex(merge.data[2:]))] * 2
