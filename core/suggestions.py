"""Cross-sell and upsell: rules per product and per airing, ranked suggestions for the agent's order form.

A cross-sell adds another product ("with the blender, the spare blade set"); an upsell replaces a line
with a better one ("the 3-pack instead of one"). A rule fires on a SKU in the cart, on the airing the caller
saw, or on both; the suggestions of all firing rules are summed per suggested SKU and ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable

from core.catalog import Catalog, CatalogError

CROSS_SELL = "cross_sell"
UPSELL = "upsell"
KINDS = (CROSS_SELL, UPSELL)


class SuggestionError(ValueError):
    """A rule that cannot work."""


@dataclass(frozen=True, slots=True)
class SuggestionRule:
    suggest: str  # SKU to offer
    kind: str = CROSS_SELL
    when_sku: str = ""  # fires when this SKU is in the cart ("" = any cart)
    when_airing: str = ""  # fires when the caller saw this airing ("" = any airing)
    weight: float = 1.0  # how strongly to push it; weights of rules suggesting one SKU add up
    pitch: str = ""  # what the agent says

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SuggestionError(f"rule kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.when_sku and not self.when_airing:
            raise SuggestionError(f"rule for {self.suggest}: say which product or airing triggers it")
        if self.kind == UPSELL and not self.when_sku:
            raise SuggestionError(f"upsell to {self.suggest}: an upsell replaces a cart line, name its SKU")
        if self.when_sku == self.suggest:
            raise SuggestionError(f"rule suggests {self.suggest} for itself")
        if self.weight <= 0:
            raise SuggestionError(f"rule for {self.suggest}: weight must be positive")

    def fires(self, cart: frozenset[str], airing_id: str) -> bool:
        return (not self.when_sku or self.when_sku in cart) and (not self.when_airing or self.when_airing == airing_id)


@dataclass(frozen=True, slots=True)
class Suggestion:
    sku: str
    name: str
    price: Decimal
    kind: str
    score: float
    replaces: str = ""  # upsells: the cart SKU it replaces
    pitches: tuple[str, ...] = ()
    in_stock: bool = True


def suggest(
    rules: Iterable[SuggestionRule],
    catalog: Catalog,
    cart: Iterable[str],
    airing_id: str = "",
    available: Callable[[str], int] | None = None,
    limit: int = 5,
) -> list[Suggestion]:
    """Ranked suggestions for this cart and airing.

    SKUs already in the cart, unknown or inactive products are left out. Ranking: products in stock first
    (an agent should not pitch what cannot ship), then score (summed weights), then rules naming both the
    product and the airing, then upsells before cross-sells, then higher price, then SKU (a stable order).
    """
    in_cart = frozenset(cart)
    gathered: dict[tuple[str, str], list[SuggestionRule]] = {}
    for rule in rules:
        if rule.suggest in in_cart or not rule.fires(in_cart, airing_id):
            continue
        gathered.setdefault((rule.suggest, rule.kind), []).append(rule)

    suggestions: list[tuple[tuple, Suggestion]] = []
    for (sku, kind), fired in gathered.items():
        try:
            product = catalog.get(sku)
        except CatalogError:
            continue
        if not product.active:
            continue
        in_stock = available is None or available(sku) > 0
        score = sum(r.weight for r in fired)
        specific = any(r.when_sku and r.when_airing for r in fired)
        replaces = next((r.when_sku for r in fired if kind == UPSELL), "")
        item = Suggestion(
            sku, product.name, product.price, kind, score, replaces, tuple(r.pitch for r in fired if r.pitch), in_stock
        )
        key = (not in_stock, -score, not specific, kind != UPSELL, -product.price, sku)
        suggestions.append((key, item))
    suggestions.sort(key=lambda pair: pair[0])
    ranked: list[Suggestion] = []
    seen: set[str] = set()
    for _, item in suggestions:
        if item.sku not in seen:  # a SKU both upsold and cross-sold shows once, in its better place
            seen.add(item.sku)
            ranked.append(item)
    return ranked[:limit]
