"""The bus contract: every message that travels on the bus, one module per stream family.

``BusMessage`` is the single tagged union for the whole bus; tags (class names) are unique.
"""

from __future__ import annotations

from schemas.base import Message
from schemas.commands import CancelAll, CancelMarket, CancelOrders, Command, MergePairs, PlaceOrder
from schemas.ctl import CtlMessage, FollowAbort, FollowStart, Halt, Resume
from schemas.executor import (
    ExecutorMessage,
    ExecutorState,
    FailReason,
    OpenOrder,
    OpenOrders,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
)
from schemas.inventory import FillApplied, InventoryMessage, InventoryState
from schemas.lease import Lease, LeaseMessage, LeaseRelease
from schemas.market import Book, FeedStatus, MarketData, MarketResolved, NewMarket, TickSizeChange, Trade
from schemas.ofi import OfiMessage, OfiSide, OfiState
from schemas.settlement import Settlement, SettlementApplied, SettlementMessage
from schemas.system import (
    CoordinatorState,
    FollowStatus,
    Heartbeat,
    RewardMarket,
    RewardScoring,
    RiskEvent,
    StrategyAdjust,
    SystemMessage,
)
from schemas.user import Fill, OrderUpdate, UserFeedStatus, UserMessage

BusMessage = (
    MarketData
    | LeaseMessage
    | UserMessage
    | InventoryMessage
    | OfiMessage
    | Command
    | MergePairs
    | SettlementMessage
    | ExecutorMessage
    | SystemMessage
    | CtlMessage
)

__all__ = [
    "Book",
    "BusMessage",
    "CancelAll",
    "CancelMarket",
    "CancelOrders",
    "Command",
    "CoordinatorState",
    "CtlMessage",
    "ExecutorState",
    "FailReason",
    "FeedStatus",
    "Fill",
    "FillApplied",
    "FollowAbort",
    "FollowStart",
    "FollowStatus",
    "Halt",
    "Heartbeat",
    "InventoryState",
    "Lease",
    "LeaseRelease",
    "MarketResolved",
    "MergePairs",
    "Message",
    "NewMarket",
    "OfiSide",
    "OfiState",
    "OpenOrder",
    "OpenOrders",
    "OrderCancelled",
    "OrderFailed",
    "OrderPlaced",
    "OrderUpdate",
    "PlaceOrder",
    "Resume",
    "RewardMarket",
    "RewardScoring",
    "RiskEvent",
    "Settlement",
    "SettlementApplied",
    "StrategyAdjust",
    "TickSizeChange",
    "Trade",
    "UserFeedStatus",
]
