"""The executor merges and redeems through polymarket-client against the venue, and tells inventory only
what the venue confirmed (a ``Settlement`` on inventory's pipe, pushed again until acknowledged, across a
kill -9 too). The executor is a real process; inventory and the coordinator are stand-ins on the bus."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from schemas import MergePairs
from schemas.units import MICRO
from tests.support.executor_rig import Rig, exit_log, state
from venue_client.endpoints import LOCAL_TEST_ADDRESS

FAST = {"PM_SETTLE_RESEND_MS": "300", "PM_SETTLE_RETRY_MS": "300"}


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


def updown(rig: Rig) -> Any:
    catalogue = rig.exchange.catalogue
    return rig.venue.call(lambda: next(m for m in catalogue.open_markets() if m.kind == "updown"))


def holdings(rig: Rig, market: Any) -> tuple[int, int, int]:
    ex = rig.exchange
    return rig.venue.call(lambda: (ex.token_balance(LOCAL_TEST_ADDRESS, market.token_ids[0]),
                                   ex.token_balance(LOCAL_TEST_ADDRESS, market.token_ids[1]),
                                   ex.ledger.balance(LOCAL_TEST_ADDRESS)))


def grant(rig: Rig, market: Any, yes: int, no: int) -> None:
    ledger = rig.exchange.ledger
    rig.venue.call(lambda: ledger.apply([(LOCAL_TEST_ADDRESS, market.token_ids[0], yes),
                                         (LOCAL_TEST_ADDRESS, market.token_ids[1], no)]))


def merge_pairs(market: Any, min_size: int = 5 * MICRO) -> MergePairs:
    return MergePairs(cmd_id=f"m{time.time_ns()}", holder="alpha", market=market.condition_id,
                      yes_asset=market.token_ids[0], no_asset=market.token_ids[1], min_size=min_size,
                      ts=time.time_ns())


def test_pairs_are_merged_winners_redeemed_and_inventory_told_only_what_was_confirmed(rig: Rig) -> None:
    market = updown(rig)
    yes, no = market.token_ids
    grant(rig, market, 9 * MICRO, 7 * MICRO)
    _, _, cash = holdings(rig, market)
    program = rig.executor(**FAST)
    inventory, alpha = rig.inventory(), rig.coordinator()

    # inventory holds fewer YES than the venue: the merge is min(inventory, venue) = 6
    command = merge_pairs(market)
    merged = inventory.until_pushed(lambda: (
        inventory.publish(state(market.condition_id, yes, no, 6 * MICRO, 8 * MICRO)), alpha.send(command)))
    assert rig.events.of(MergePairs, cmd_id=command.cmd_id) == command  # echoed on exec.cmd.alpha.
    assert (merged.kind, merged.yes, merged.no, merged.usdc) == ("merge", 6 * MICRO, 6 * MICRO, 6 * MICRO)
    assert merged.key == f"merge:{merged.tx}" and merged.tx.startswith("0x")
    assert holdings(rig, market) == (3 * MICRO, MICRO, cash + 6 * MICRO)
    assert inventory.pushed() == merged  # not acknowledged: pushed again
    inventory.ack(merged)
    program.read_until(lambda line: '"event":"settlement_acknowledged"' in line and merged.key in line)

    # below min_size: nothing is sent
    inventory.publish(state(market.condition_id, yes, no, 3 * MICRO, MICRO))
    alpha.send(merge_pairs(market))

    def resolve() -> None:
        now = time.time_ns()
        rig.exchange.engine.close_market(market, now)
        rig.exchange.catalogue.close(market, now)
        market.winner = 0

    rig.venue.call(resolve)
    redeemed = inventory.until_pushed(lambda: inventory.publish(
        state(market.condition_id, yes, no, 3 * MICRO, MICRO, resolved=True, winner=yes)))
    assert (redeemed.kind, redeemed.yes, redeemed.no, redeemed.usdc, redeemed.winner) == (
        "redeem", 3 * MICRO, MICRO, 3 * MICRO, yes)
    assert holdings(rig, market) == (0, 0, cash + 6 * MICRO + 3 * MICRO)
    inventory.ack(redeemed)
    program.read_until(lambda line: '"event":"settlement_acknowledged"' in line and redeemed.key in line)
    line = exit_log(program, "settlements")
    assert (line["merge"], line["redeem"], line["unacknowledged"]) == (1, 1, 0)


def test_a_confirmed_merge_inventory_never_acknowledged_is_pushed_again_after_kill_9(rig: Rig) -> None:
    market = updown(rig)
    yes, no = market.token_ids
    grant(rig, market, 5 * MICRO, 5 * MICRO)
    first = rig.executor(PM_SETTLE_RESEND_MS="60000")
    inventory, alpha = rig.inventory(), rig.coordinator()
    command = merge_pairs(market)
    merged = inventory.until_pushed(lambda: (
        inventory.publish(state(market.condition_id, yes, no, 5 * MICRO, 5 * MICRO)), alpha.send(command)))
    first.proc.kill()  # before inventory acknowledged it
    first.proc.wait(5)
    rig.executor(PM_SETTLE_RESEND_MS="60000")
    assert inventory.pushed() == merged  # from the executor's store, at start
    assert holdings(rig, market)[:2] == (0, 0)  # merged once
