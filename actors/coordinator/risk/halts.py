"""When a market halts and when the halt ends (pure).

| kind | starts when | then | ends |
|---|---|---|---|
| ``stop_loss`` | unrealised PnL <= -PM_STOP_LOSS_USD | cancel all, flatten (maker) | an operator's resume |
| ``take_profit`` | unrealised PnL >= PM_TAKE_PROFIT_USD | cancel, flatten (maker) | PM_HALT_SECONDS later |
| ``shock_halt`` | one abs(Δmid)/mid > PM_SHOCK_PCT | cancel, monitor only | PM_HALT_SECONDS after the last |
| ``manual_halt`` | an operator's halt | cancel all, monitor only | an operator's resume |

A stop-loss takes over any other halt (a flatten then runs); a shock restarts a shock halt's clock and is
ignored during the other kinds; take-profit starts only when nothing is halted.
Unrealised PnL is marked to each leg's mid, like inventory's (a leg whose book has an empty side is not
marked; with neither marked there is no PnL and neither rule fires).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from actors.coordinator.model import Position, Top
from actors.coordinator.risk.params import RiskParams
from schemas.units import MICRO

NEEDS_RESUME = frozenset({"stop_loss", "manual_halt"})


@dataclass(frozen=True, slots=True)
class Halt:
    kind: str
    since: int  # ns
    until: int  # ns; 0: until an operator resumes
    flatten: bool  # sell the heavy leg down to |net_diff| below the minimum size while halted
    reason: str  # the numbers that drove it
    taker_at: int = 0  # when the opt-in taker exit was sent (0: not yet)
    taker_net: int = 0  # net_diff when it was sent (maker exits wait until inventory moves, or 2 s)


def unrealized(pos: Position, yes: Top, no: Top) -> int | None:
    """Unrealised PnL, 1e-6 USDC, marked to mid; None when no held leg can be marked."""
    total, marked = 0, False
    for qty, avg, top in ((pos.yes_qty, pos.yes_avg_cost, yes), (pos.no_qty, pos.no_avg_cost, no)):
        if qty and top.two_sided:
            total += qty * (top.bid + top.ask - 2 * avg)
            marked = True
    return total // (2 * MICRO) if marked else None


def _usd(v: int) -> str:
    return f"{v / MICRO:.6f}".rstrip("0").rstrip(".")


def trigger(p: RiskParams, halt: Halt | None, jump: int, pnl: int | None, now: int) -> Halt | None:
    """The halt that starts now (a new one, or a shock restarting a shock halt), or None."""
    kind = halt.kind if halt else ""
    if p.stop_loss and pnl is not None and pnl <= -p.stop_loss and kind != "stop_loss":
        return Halt("stop_loss", now, 0, True,
                    f"unrealised pnl {_usd(pnl)} <= -{_usd(p.stop_loss)} USDC")
    if p.shock_pct and jump > p.shock_pct and kind in ("", "shock_halt"):
        return Halt("shock_halt", now, now + p.halt_ns, False,
                    f"|dmid|/mid {_usd(jump)} > {_usd(p.shock_pct)}")
    if p.take_profit and pnl is not None and pnl >= p.take_profit and not kind:
        return Halt("take_profit", now, now + p.halt_ns, True,
                    f"unrealised pnl {_usd(pnl)} >= {_usd(p.take_profit)} USDC")
    return None


def expired(halt: Halt, now: int) -> bool:
    return bool(halt.until) and now >= halt.until


def taker_sent(halt: Halt, now: int, net: int) -> Halt:
    return replace(halt, taker_at=now, taker_net=net)
