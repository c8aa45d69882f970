"""Products and stock, orders from placement through sorting and dispatch, and cross-sell / upsell.

Over 400 lines: the tests of one aggregate (catalog, stock, orders) read best together; each is short.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.catalog import (
    Catalog,
    CatalogError,
    OutOfStock,
    Product,
    StockBook,
    UnknownProduct,
    Warehouse,
    money,
)
from core.config import Airing
from core.customers import SequentialIds
from core.log import LogRecord
from core.orders import (
    ALLOWED_TRANSITIONS,
    CANCELLED,
    COD,
    DELIVERED,
    DISPATCHED,
    ORDER_PLACED,
    PLACED,
    PREPAID,
    RETURNED,
    SORTED,
    STATUSES,
    CannotSort,
    Courier,
    InvalidTransition,
    MediaSurvey,
    OrderError,
    OrderPlaced,
    OrderStatusChanged,
    PlaceOrder,
    cancel,
    deliver,
    dispatch,
    order_log_record,
    place_order,
    record_payment,
    return_order,
    sort_order,
)
from core.regions import Address, Division
from core.suggestions import CROSS_SELL, UPSELL, SuggestionError, SuggestionRule, suggest

HAIDIAN = Division("110108", "北京市", "", "海淀区")
NANSHAN = Division("440305", "广东省", "深圳市", "南山区")
LHASA = Division("540102", "西藏自治区", "拉萨市", "城关区")

BLENDER = Product("BL-1", "破壁料理机", Decimal("399.00"), frozenset({"A1"}))
BLADES = Product("BL-B", "备用刀组", Decimal("59.90"))
BLENDER_PRO = Product("BL-2", "破壁料理机 Pro", Decimal("599.00"), frozenset({"A1"}))
MOP = Product("MP-1", "蒸汽拖把", Decimal("199"), frozenset({"A2"}))
OLD = Product("OLD", "停售商品", Decimal("9.9"), active=False)

NORTH = Warehouse("WH-BJ", serves=("11", "12", "13"))
SOUTH = Warehouse("WH-SZ", serves=("44",))
COURIERS = [
    Courier("SF", serves=("",), cash_on_delivery=False, rank=0),
    Courier("EMS", serves=("",), rank=5),
    Courier("BJ-LOCAL", serves=("11",), warehouses=frozenset({"WH-BJ"}), rank=1),
]


def catalog() -> Catalog:
    return Catalog([BLENDER, BLADES, BLENDER_PRO, MOP, OLD])


def stocked(**levels: int) -> StockBook:
    """stocked(WH_BJ__BL_1=3): warehouse__sku with - written as _."""
    book = StockBook()
    for key, qty in levels.items():
        warehouse, sku = key.split("__")
        if qty:
            book.receive(warehouse.replace("_", "-"), sku.replace("_", "-"), qty)
    return book


def command(lines, *, payment=COD, division=HAIDIAN, now=1000.0, **extra) -> PlaceOrder:
    return PlaceOrder(
        now=now,
        customer_id="C000001",
        lines=lines,
        payment=payment,
        address=Address(division, "中关村大街1号", recipient="王女士"),
        **extra,
    )


# --- products and money ------------------------------------------------------------------------------------


def test_money_is_decimal_yuan_to_the_fen():
    assert money("399") == Decimal("399.00")
    assert money(Decimal("0.125")) == Decimal("0.13")
    with pytest.raises(TypeError, match="float"):
        money(0.1)
    with pytest.raises(ValueError):
        money("abc")


def test_products_and_the_airings_that_sell_them():
    shop = catalog()
    assert shop.get("BL-1").price == Decimal("399.00")
    assert [p.sku for p in shop.for_airing("A1")] == ["BL-1", "BL-2"]
    assert shop.for_airing("A9") == []
    with pytest.raises(UnknownProduct, match="NOPE"):
        shop.get("NOPE")
    with pytest.raises(CatalogError, match="already"):
        shop.add(BLENDER)
    with pytest.raises(CatalogError, match="negative"):
        Product("X", "x", Decimal("-1"))


# --- stock ------------------------------------------------------------------------------------------------


def test_hold_allocate_ship_and_release():
    book = stocked(WH_BJ__BL_1=5, WH_SZ__BL_1=2)
    assert book.available("BL-1") == 7
    book.hold("O1", {"BL-1": 4})
    assert book.available("BL-1") == 3 and book.held("BL-1") == 4
    book.allocate("O1", "WH-BJ")
    assert book.allocated("WH-BJ", "BL-1") == 4 and book.held("BL-1") == 0 and book.available("BL-1") == 3
    assert book.reservation("O1") == ("WH-BJ", {"BL-1": 4})
    book.ship("O1")
    assert book.on_hand("WH-BJ", "BL-1") == 1 and book.available("BL-1") == 3
    book.hold("O2", {"BL-1": 3})
    book.release("O2")
    assert book.available("BL-1") == 3
    book.check()


def test_out_of_stock_changes_nothing():
    book = stocked(WH_BJ__BL_1=2, WH_BJ__BL_B=10)
    with pytest.raises(OutOfStock, match="BL-1: 3 wanted, 2 available") as failure:
        book.hold("O1", {"BL-B": 1, "BL-1": 3})
    assert failure.value.shortfalls == {"BL-1": (3, 2)}
    assert book.available("BL-B") == 10 and book.reservation("O1") is None
    with pytest.raises(OutOfStock):
        book.hold("O2", {"NEW": 1})


def test_allocating_where_the_goods_are_not():
    book = stocked(WH_BJ__BL_1=1, WH_SZ__BL_1=1)
    book.hold("O1", {"BL-1": 2})  # two across the country, but no single warehouse has both
    with pytest.raises(OutOfStock, match="at WH-BJ"):
        book.allocate("O1", "WH-BJ")
    assert book.reservation("O1") == ("", {"BL-1": 2})


def test_stock_rules():
    book = stocked(WH_BJ__BL_1=2)
    with pytest.raises(CatalogError, match="positive whole"):
        book.hold("O1", {"BL-1": 0})
    with pytest.raises(CatalogError, match="positive whole"):
        book.receive("WH-BJ", "BL-1", -1)
    book.hold("O1", {"BL-1": 1})
    with pytest.raises(CatalogError, match="already reserves"):
        book.hold("O1", {"BL-1": 1})
    with pytest.raises(OutOfStock):
        book.write_off("WH-BJ", "BL-1", 2)  # one of the two is promised
    book.write_off("WH-BJ", "BL-1", 1)
    with pytest.raises(CatalogError, match="nothing allocated|no stock allocated"):
        book.ship("O1")
    with pytest.raises(CatalogError, match="reserves no stock"):
        book.release("O9")


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["receive", "hold", "allocate", "ship", "release", "write_off"]),
            st.integers(0, 5),
            st.sampled_from(["WH-BJ", "WH-SZ"]),
            st.sampled_from(["A", "B"]),
            st.integers(1, 4),
        ),
        max_size=60,
    )
)
def test_property_stock_never_goes_negative(operations):
    book = StockBook()
    for op, order_n, warehouse, sku, qty in operations:
        order = f"O{order_n}"
        try:
            if op == "receive":
                book.receive(warehouse, sku, qty)
            elif op == "hold":
                book.hold(order, {sku: qty})
            elif op == "allocate":
                book.allocate(order, warehouse)
            elif op == "ship":
                book.ship(order)
            elif op == "release":
                book.release(order)
            else:
                book.write_off(warehouse, sku, qty)
        except CatalogError:
            pass
        book.check()
        for s in ("A", "B"):
            assert book.available(s) >= 0


# --- placing orders -----------------------------------------------------------------------------------------


def test_placing_an_order_prices_lines_and_holds_stock():
    book = stocked(WH_BJ__BL_1=5, WH_BJ__BL_B=5)
    survey = MediaSurvey("湖南卫视", "快乐购", "A1")
    order = place_order(
        command({"BL-1": 1, "BL-B": 2}, survey=survey, hotline="4008001234", call_id="c1", agent_id="a1"),
        catalog(),
        book,
        SequentialIds(),
    )
    assert order.order_id == "O000001" and order.status == PLACED
    assert [(line.sku, line.quantity, line.unit_price, line.total) for line in order.lines] == [
        ("BL-1", 1, Decimal("399.00"), Decimal("399.00")),
        ("BL-B", 2, Decimal("59.90"), Decimal("119.80")),
    ]
    assert order.subtotal == order.total == Decimal("518.80")
    assert book.available("BL-1") == 4 and book.available("BL-B") == 3
    assert order.events == [OrderPlaced("O000001", 1000.0, "C000001", Decimal("518.80"))]
    assert order.survey.channel == "湖南卫视" and order.address.division == HAIDIAN


def test_repeated_skus_merge_and_a_discount_comes_off():
    order = place_order(
        command([("BL-B", 1), ("BL-B", 2)], discount="10"), catalog(), stocked(WH_BJ__BL_B=3), SequentialIds()
    )
    assert len(order.lines) == 1 and order.lines[0].quantity == 3
    assert order.total == Decimal("169.70")


@pytest.mark.parametrize(
    "lines, payment, discount, error, message",
    [
        ({}, COD, "0", OrderError, "at least one line"),
        ({"BL-1": 0}, COD, "0", OrderError, "positive whole"),
        ({"BL-1": 1.5}, COD, "0", OrderError, "positive whole"),
        ({"BL-1": 1}, "credit", "0", OrderError, "payment"),
        ({"BL-1": 1}, COD, "400", OrderError, "discount"),
        ({"NOPE": 1}, COD, "0", UnknownProduct, "NOPE"),
        ({"OLD": 1}, COD, "0", OrderError, "no longer sold"),
        ({"BL-1": 9}, COD, "0", OutOfStock, "9 wanted"),
    ],
)
def test_orders_that_cannot_be_placed(lines, payment, discount, error, message):
    book = stocked(WH_BJ__BL_1=5, WH_BJ__OLD=5)
    with pytest.raises(error, match=message):
        place_order(command(lines, payment=payment, discount=discount), catalog(), book, SequentialIds())
    assert book.available("BL-1") == 5  # nothing held


def test_survey_prefilled_from_the_airing():
    airing = Airing("A1", "湖南卫视", 0.0, 600.0, "4008001234", product="BL-1")
    assert MediaSurvey.from_airing(airing) == MediaSurvey("湖南卫视", "BL-1", "A1")
    with pytest.raises(OrderError, match="channel"):
        MediaSurvey(" ")


# --- sorting and status -------------------------------------------------------------------------------------


_IDS = SequentialIds()


def placed(book, lines=None, **kw):
    return place_order(command(lines or {"BL-1": 1}, **kw), catalog(), book, _IDS)


def test_sorting_prefers_the_warehouse_serving_the_region_and_the_most_specific_courier():
    book = stocked(WH_BJ__BL_1=5, WH_SZ__BL_1=5)
    order = sort_order(placed(book), book, [SOUTH, NORTH], COURIERS, now=1010.0)
    assert (order.status, order.warehouse, order.courier) == (SORTED, "WH-BJ", "BJ-LOCAL")
    assert book.allocated("WH-BJ", "BL-1") == 1
    south = sort_order(placed(book, division=NANSHAN), book, [NORTH, SOUTH], COURIERS, now=1010.0)
    assert (south.warehouse, south.courier) == ("WH-SZ", "EMS")  # SF takes no cash on delivery
    prepaid = sort_order(placed(book, division=NANSHAN, payment=PREPAID), book, [NORTH, SOUTH], COURIERS, now=1)
    assert prepaid.courier == "SF"


def test_sorting_falls_back_to_any_warehouse_with_the_stock():
    book = stocked(WH_SZ__BL_1=1)
    order = sort_order(placed(book), book, [NORTH, SOUTH], COURIERS, now=1)
    assert (order.warehouse, order.courier) == ("WH-SZ", "EMS")


def test_an_order_that_cannot_be_sorted_stays_placed_with_its_stock_held():
    book = stocked(WH_BJ__BL_1=1, WH_SZ__BL_B=1)
    order = placed(book, {"BL-1": 1, "BL-B": 1})
    with pytest.raises(CannotSort, match="no single warehouse"):
        sort_order(order, book, [NORTH, SOUTH], COURIERS, now=1)
    assert order.status == PLACED and book.held("BL-1") == 1
    book2 = stocked(WH_BJ__BL_1=1)
    order2 = placed(book2, division=LHASA)
    with pytest.raises(CannotSort, match="no courier"):
        sort_order(order2, book2, [NORTH], [Courier("BJ-LOCAL", serves=("11",))], now=1)


def test_the_whole_way_cash_on_delivery():
    book = stocked(WH_BJ__BL_1=2)
    order = placed(book)
    sort_order(order, book, [NORTH], COURIERS, now=1100)
    dispatch(order, book, now=1200)
    assert book.on_hand("WH-BJ", "BL-1") == 1 and not order.is_paid
    deliver(order, now=1300)
    assert order.status == DELIVERED and order.paid_at == 1300
    assert [s for _, s, _ in order.history] == [PLACED, SORTED, DISPATCHED, DELIVERED]
    assert [e.new for e in order.events if isinstance(e, OrderStatusChanged)] == [SORTED, DISPATCHED, DELIVERED]
    assert order.is_open and order.can_become(RETURNED)  # a delivered order may still come back


def test_prepaid_orders_are_paid_before_dispatch():
    book = stocked(WH_BJ__BL_1=2)
    order = placed(book, payment=PREPAID)
    sort_order(order, book, [NORTH], COURIERS, now=1)
    with pytest.raises(OrderError, match="not paid"):
        dispatch(order, book, now=2)
    record_payment(order, now=3)
    with pytest.raises(OrderError, match="already paid"):
        record_payment(order, now=4)
    dispatch(order, book, now=5)
    deliver(order, now=6)
    assert order.paid_at == 3
    with pytest.raises(OrderError, match="cash on delivery"):
        record_payment(placed(book), now=7)


def test_cancelling_gives_the_stock_back():
    book = stocked(WH_BJ__BL_1=1)
    order = placed(book)
    with pytest.raises(OrderError, match="why"):
        cancel(order, book, now=2, reason=" ")
    cancel(order, book, now=2, reason="customer changed mind")
    assert book.available("BL-1") == 1 and order.status == CANCELLED
    sorted_order = placed(book)
    sort_order(sorted_order, book, [NORTH], COURIERS, now=3)
    cancel(sorted_order, book, now=4, reason="duplicate")
    assert book.available("BL-1") == 1 and book.allocated("WH-BJ", "BL-1") == 0


def test_returned_goods_go_back_on_the_shelf():
    book = stocked(WH_BJ__BL_1=1)
    order = placed(book)
    sort_order(order, book, [NORTH], COURIERS, now=1)
    dispatch(order, book, now=2)
    assert book.available("BL-1") == 0
    return_order(order, book, now=3, reason="refused at the door")
    assert order.status == RETURNED and book.available("BL-1") == 1


@pytest.mark.parametrize("status", STATUSES)
def test_only_allowed_transitions(status):
    book = stocked(WH_BJ__BL_1=5)
    order = placed(book)
    order.status = status
    for target in STATUSES:
        if target not in ALLOWED_TRANSITIONS[status]:
            with pytest.raises(InvalidTransition, match=f"is {status}; it cannot become {target}"):
                order._move(target, 1.0)
    assert ALLOWED_TRANSITIONS[CANCELLED] == () and ALLOWED_TRANSITIONS[RETURNED] == ()


def test_dispatch_before_sorting_is_refused():
    book = stocked(WH_BJ__BL_1=5)
    order = placed(book)
    with pytest.raises(InvalidTransition, match="placed; it cannot become dispatched"):
        dispatch(order, book, now=1)
    with pytest.raises(InvalidTransition):
        deliver(order, now=1)


def test_the_order_placed_log_record():
    book = stocked(WH_BJ__BL_1=5)
    order = placed(book, survey=MediaSurvey("湖南卫视", "", "A1"), hotline="4008001234", call_id="c7", agent_id="a1")
    record = order_log_record(order)
    assert record == LogRecord(
        1000.0, "c7", "NONE", "a1", ORDER_PLACED, order.order_id, 399.0, "4008001234", "A1", "C000001"
    )


@settings(max_examples=60)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=25), st.integers(0, 12))
def test_property_a_surge_of_orders_never_oversells(quantities, on_hand):
    book = stocked(WH_BJ__BL_1=on_hand)
    ids = SequentialIds()
    accepted = 0
    for i, qty in enumerate(quantities):
        try:
            place_order(command({"BL-1": qty}, now=float(i)), catalog(), book, ids)
            accepted += qty
        except OutOfStock:
            pass
    assert accepted <= on_hand
    assert book.available("BL-1") == on_hand - accepted >= 0


# --- cross-sell and upsell ----------------------------------------------------------------------------------


RULES = [
    SuggestionRule("BL-B", CROSS_SELL, when_sku="BL-1", weight=2, pitch="刀组加购价"),
    SuggestionRule("BL-2", UPSELL, when_sku="BL-1", weight=2, pitch="多一百块升级 Pro"),
    SuggestionRule("MP-1", CROSS_SELL, when_airing="A1", weight=1),
    SuggestionRule("MP-1", CROSS_SELL, when_sku="BL-1", when_airing="A1", weight=1),
    SuggestionRule("OLD", CROSS_SELL, when_sku="BL-1", weight=9),
    SuggestionRule("GONE", CROSS_SELL, when_sku="BL-1", weight=9),
]


def test_suggestions_are_ranked_for_the_agent():
    found = suggest(RULES, catalog(), cart=["BL-1"], airing_id="A1")
    # equal scores: a rule naming both product and airing first, then upsells before cross-sells
    assert [(s.sku, s.kind, s.score) for s in found] == [
        ("MP-1", CROSS_SELL, 2),
        ("BL-2", UPSELL, 2),
        ("BL-B", CROSS_SELL, 2),
    ]
    assert found[1].replaces == "BL-1" and found[1].pitches == ("多一百块升级 Pro",)


def test_suggestions_depend_on_cart_and_airing():
    assert [s.sku for s in suggest(RULES, catalog(), cart=["BL-1"], airing_id="A2")] == ["BL-2", "BL-B"]
    assert [s.sku for s in suggest(RULES, catalog(), cart=[], airing_id="A1")] == ["MP-1"]
    assert [s.sku for s in suggest(RULES, catalog(), cart=["BL-1", "BL-B", "BL-2"], airing_id="")] == []
    assert len(suggest(RULES, catalog(), cart=["BL-1"], airing_id="A1", limit=1)) == 1


def test_out_of_stock_suggestions_go_last():
    found = suggest(RULES, catalog(), cart=["BL-1"], airing_id="A1", available=lambda sku: 0 if sku == "BL-2" else 5)
    assert [s.sku for s in found] == ["MP-1", "BL-B", "BL-2"] and not found[-1].in_stock


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"suggest": "X"}, "triggers"),
        ({"suggest": "X", "kind": UPSELL, "when_airing": "A1"}, "replaces"),
        ({"suggest": "X", "when_sku": "X"}, "itself"),
        ({"suggest": "X", "when_sku": "Y", "kind": "bundle"}, "kind"),
        ({"suggest": "X", "when_sku": "Y", "weight": 0}, "weight"),
    ],
)
def test_rules_that_cannot_work(kwargs, message):
    with pytest.raises(SuggestionError, match=message):
        SuggestionRule(**kwargs)


@pytest.mark.parametrize("discount", ["9.999", "0.001", "10.005"])
def test_a_discount_below_the_fen_is_refused_never_rounded(discount):
    with pytest.raises(OrderError, match="whole number of fen"):
        place_order(command({"BL-1": 1}, discount=discount), catalog(), stocked(WH_BJ__BL_1=1), SequentialIds())


def test_a_discount_over_the_placers_limit_needs_approval():
    from core.orders import DiscountNeedsApproval

    subtotal = place_order(command({"BL-1": 1}), catalog(), stocked(WH_BJ__BL_1=1), SequentialIds()).subtotal
    tenth = (subtotal / 10).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    allowed = place_order(
        command({"BL-1": 1}, discount=str(tenth), discount_limit=Decimal("0.1")),
        catalog(),
        stocked(WH_BJ__BL_1=1),
        SequentialIds(),
    )
    assert allowed.total == subtotal - tenth
    with pytest.raises(DiscountNeedsApproval, match="approval"):
        place_order(
            command({"BL-1": 1}, discount=str(tenth + Decimal("0.01")), discount_limit=Decimal("0.1")),
            catalog(),
            stocked(WH_BJ__BL_1=1),
            SequentialIds(),
        )
