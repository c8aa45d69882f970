"""What media ROI (``core.media.attribute``) gives back: each airing's share of calls, orders and revenue
(fractional counts), with the figures derived from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


def _per(amount: float, base: float) -> float | None:
    """``amount`` per unit of ``base``; None when there is no base to share it over."""
    return amount / base if base > 0 else None


@dataclass(frozen=True, slots=True)
class AiringResult:
    """One airing's share of the response (fractional counts), or the unattributed remainder
    (``airing_id`` "")."""

    airing_id: str
    channel: str
    hotline: str
    product: str
    kind: str
    start: float
    cost: float
    expected_calls: float  # E[a] used for the split
    calls: float = 0.0
    answered: float = 0.0
    abandoned: float = 0.0
    callback_tickets: float = 0.0
    orders: float = 0.0
    revenue: float = 0.0

    @property
    def cost_per_call(self) -> float | None:
        return _per(self.cost, self.calls)

    @property
    def cost_per_order(self) -> float | None:
        return _per(self.cost, self.orders)

    @property
    def mer(self) -> float | None:
        """Media efficiency ratio: revenue per yuan of media cost."""
        return _per(self.revenue, self.cost)

    @property
    def conversion_rate(self) -> float | None:
        """Orders per answered call."""
        return _per(self.orders, self.answered)

    @property
    def average_order_value(self) -> float | None:
        return _per(self.revenue, self.orders)

    @property
    def revenue_lost_to_abandonment(self) -> float | None:
        """Abandoned calls x this airing's conversion rate x its average order value: what the callers who
        hung up would have bought had they been answered like the others (None: nobody answered to learn
        the rate from)."""
        if self.abandoned == 0:
            return 0.0
        rate, value = self.conversion_rate, self.average_order_value
        if rate is None:
            return None
        return self.abandoned * rate * (value or 0.0)

    def as_row(self) -> dict[str, object]:
        return {
            "airing_id": self.airing_id,
            "channel": self.channel,
            "hotline": self.hotline,
            "product": self.product,
            "kind": self.kind,
            "start": self.start,
            "cost": self.cost,
            "expected_calls": self.expected_calls,
            "calls": self.calls,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "callback_tickets": self.callback_tickets,
            "orders": self.orders,
            "revenue": self.revenue,
            "cost_per_call": self.cost_per_call,
            "cost_per_order": self.cost_per_order,
            "mer": self.mer,
            "conversion_rate": self.conversion_rate,
            "average_order_value": self.average_order_value,
            "revenue_lost_to_abandonment": self.revenue_lost_to_abandonment,
        }


@dataclass(frozen=True)
class MediaReport:
    airings: tuple[AiringResult, ...]
    unattributed: AiringResult
    total_calls: int
    total_orders: int
    total_revenue: float
    call_weights: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # call -> airing -> weight

    def by_id(self, airing_id: str) -> AiringResult:
        for result in self.airings:
            if result.airing_id == airing_id:
                return result
        raise KeyError(airing_id)

    def rows(self) -> list[dict[str, object]]:
        """One row per airing, then the unattributed row: ready for a table, CSV or Excel."""
        return [r.as_row() for r in self.airings] + [self.unattributed.as_row()]
