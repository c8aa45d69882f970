"""Media ROI: attribution of calls and orders to airings over a baseline, per-airing figures, conservation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.center import CallCenter
from core.config import AgentProfile, Airing, CenterConfig, Hotline, Policy
from core.log import LogRecord, parse_queue_log_line
from core.media import (
    Call,
    MediaError,
    OrderFact,
    ResponseModel,
    attribute,
    calls_from_log,
    constant_baseline,
    default_density,
    orders_from_log,
)
from core.messages import AgentAnswered, AgentHungUp, CallArrived, CallerHungUp, LogIn, MakeReady

T0 = 1_704_074_400.0  # 2024-01-01 10:00 China Standard Time
SPOT = Airing("S1", "湖南卫视", T0, 60.0, "400", product="BL-1", kind="spot", cost=1000.0)
LIVE = Airing("L1", "东方购物", T0, 3600.0, "800", product="MP-1", kind="live", cost=50_000.0)


def known(expected: dict[str, float], **kw) -> ResponseModel:
    """A model whose response sizes are given (not estimated)."""
    return ResponseModel(expected_calls=lambda a: expected.get(a.airing_id, 0.0), **kw)


# --- the response model -----------------------------------------------------------------------------------


def test_default_density_shapes():
    assert default_density(SPOT, -1) == 0.0
    peak = 90.0 + SPOT.length / 2
    assert default_density(SPOT, peak) > default_density(SPOT, peak / 3)
    assert default_density(SPOT, peak) > default_density(SPOT, peak * 3)
    assert default_density(LIVE, 10) == pytest.approx(default_density(LIVE, 3000))  # flat while on air
    assert default_density(LIVE, 3700) < default_density(LIVE, 3000)


@pytest.mark.parametrize("airing", [SPOT, LIVE])
def test_shapes_integrate_to_one_over_the_window(airing):
    model = ResponseModel(window=1800.0)
    shape = model.shape(airing)
    span = airing.length + model.window
    n = 20_000
    h = span / n
    integral = h * (sum(shape(i * h) for i in range(n + 1)) - (shape(0) + shape(span)) / 2)
    assert integral == pytest.approx(1.0, abs=2e-3)
    assert shape(-1.0) == 0.0 and shape(span + 1.0) == 0.0


# --- attribution ------------------------------------------------------------------------------------------


def test_without_a_baseline_every_call_in_the_window_is_the_airings():
    calls = [
        (T0 + 30, "400", "in1"),
        (T0 + 600, "400", "in2"),
        (T0 - 5, "400", "before"),
        (T0 + 60 + 1800 + 1, "400", "after"),
        (T0 + 30, "800", "other number"),
    ]
    report = attribute([SPOT], calls, model=known({"S1": 50.0}))
    assert report.by_id("S1").calls == pytest.approx(2.0)
    assert report.unattributed.calls == pytest.approx(3.0)
    assert report.call_weights["in1"] == {"S1": pytest.approx(1.0)}
    assert report.call_weights["before"] == {}


def test_the_baseline_keeps_its_expected_share():
    model = known({"S1": 40.0}, baseline=constant_baseline({"400": 0.01}))
    t = T0 + 300
    report = attribute([SPOT], [(t, "400", "c1")], model=model)
    response = 40.0 * model.shape(SPOT)(300.0)
    assert report.call_weights["c1"]["S1"] == pytest.approx(response / (response + 0.01))
    assert report.unattributed.calls == pytest.approx(0.01 / (response + 0.01))


def test_a_weak_airing_in_a_strong_baseline_gets_little():
    model = known({"S1": 1.0}, baseline=constant_baseline(1.0))
    report = attribute([SPOT], [(T0 + 100 + i, "400", f"c{i}") for i in range(50)], model=model)
    assert report.by_id("S1").calls < 0.5
    assert report.by_id("S1").calls + report.unattributed.calls == pytest.approx(50)


def test_overlapping_airings_split_in_proportion_to_their_expected_response():
    a = Airing("A", "频道1", T0, 60.0, "400", kind="spot", cost=100.0)
    b = Airing("B", "频道2", T0, 60.0, "400", kind="spot", cost=100.0)
    report = attribute([a, b], [(T0 + 120, "400", "c1")], model=known({"A": 30.0, "B": 10.0}))
    assert report.call_weights["c1"] == {"A": pytest.approx(0.75), "B": pytest.approx(0.25)}


def test_overlap_follows_the_shapes_over_time():
    early = Airing("E", "频道1", T0, 60.0, "400", kind="spot")
    late = Airing("L", "频道2", T0 + 600, 60.0, "400", kind="spot")
    report = attribute(
        [early, late], [(T0 + 200, "400", "c1"), (T0 + 700, "400", "c2")], model=known({"E": 10.0, "L": 10.0})
    )
    assert report.call_weights["c1"] == {"E": pytest.approx(1.0)}  # L had not aired yet
    assert report.call_weights["c2"]["L"] > report.call_weights["c2"]["E"] > 0


def test_response_sizes_are_estimated_from_the_calls():
    calls = [(T0 + 60 * i, "400", f"c{i}") for i in range(1, 21)]
    no_baseline = attribute([SPOT], calls)
    assert no_baseline.by_id("S1").expected_calls == pytest.approx(20.0)
    base = 0.002
    model = ResponseModel(baseline=constant_baseline(base))
    report = attribute([SPOT], calls, model=model)
    e = report.by_id("S1").expected_calls
    shape = model.shape(SPOT)
    # the estimate is a fixed point: E = sum over calls of E f / (E f + baseline)
    assert e == pytest.approx(sum(e * shape(t - T0) / (e * shape(t - T0) + base) for t, _, _ in calls), rel=1e-6)
    assert 0 < e < 20


def test_a_custom_density_plugs_in():
    def flat(airing: Airing, since: float) -> float:
        return 1.0  # every second of the window alike

    model = ResponseModel(density=flat, window=600.0, expected_calls=lambda a: 66.0, baseline=constant_baseline(0.1))
    report = attribute([SPOT], [(T0 + 500, "400", "c1")], model=model)
    response = 66.0 / 660.0  # calls per second from the airing
    assert report.call_weights["c1"]["S1"] == pytest.approx(response / (response + 0.1))


def test_figures_per_airing():
    calls = [Call(f"a{i}", T0 + 60 + i, "400", "answered") for i in range(8)]
    calls += [Call(f"b{i}", T0 + 90 + i, "400", "abandoned", ticket=True) for i in range(2)]
    orders = [OrderFact(T0 + 300 + i, "400", 100.0, call_id=f"a{i}") for i in range(4)]
    report = attribute([SPOT], calls, orders, model=known({"S1": 100.0}))
    s1 = report.by_id("S1")
    assert (s1.calls, s1.answered, s1.abandoned, s1.callback_tickets, s1.orders, s1.revenue) == pytest.approx(
        (10, 8, 2, 2, 4, 400)
    )
    assert s1.cost_per_call == pytest.approx(100.0)
    assert s1.cost_per_order == pytest.approx(250.0)
    assert s1.mer == pytest.approx(0.4)
    assert s1.conversion_rate == pytest.approx(0.5)
    assert s1.average_order_value == pytest.approx(100.0)
    assert s1.revenue_lost_to_abandonment == pytest.approx(2 * 0.5 * 100.0)
    row = report.rows()[0]
    assert row["airing_id"] == "S1" and row["mer"] == pytest.approx(0.4)
    assert report.rows()[-1]["airing_id"] == ""  # the unattributed remainder closes the table


def test_figures_with_nothing_to_divide_by():
    free = Airing("F", "c", T0, 60.0, "400", kind="spot", cost=0.0)
    report = attribute([free], [Call("x", T0 + 50, "400", "abandoned")], model=known({"F": 5.0}))
    f = report.by_id("F")
    assert f.mer is None and f.cost_per_order is None and f.conversion_rate is None
    assert f.revenue_lost_to_abandonment is None  # nobody answered: no conversion rate to learn from
    quiet = attribute([free], [], model=known({"F": 5.0})).by_id("F")
    assert quiet.cost_per_call is None and quiet.revenue_lost_to_abandonment == 0.0


def test_orders_without_a_known_call_use_their_own_time():
    report = attribute([SPOT], [], [(T0 + 100, "400", 299.0), (T0 - 100, "400", 50.0)], model=known({"S1": 10.0}))
    assert report.by_id("S1").revenue == pytest.approx(299.0)
    assert report.unattributed.revenue == pytest.approx(50.0)
    assert report.total_revenue == pytest.approx(349.0) and report.total_orders == 2


def test_bad_inputs():
    with pytest.raises(MediaError, match="repeat"):
        attribute([SPOT, SPOT], [])
    with pytest.raises(MediaError, match="a call is"):
        attribute([SPOT], ["c1"])
    with pytest.raises(MediaError, match="not a mix"):
        attribute([SPOT], [Call("c", T0, "400"), LogRecord(T0, "c", "q", "NONE", "ENTERQUEUE")])
    with pytest.raises(MediaError, match="an order is"):
        attribute([SPOT], [], [42])


# --- reading event logs -----------------------------------------------------------------------------------


def core_log() -> list[LogRecord]:
    """A real log from the core: c1 answered and ordered, c2 abandoned (a ticket), c3 after the window."""
    config = CenterConfig(
        (AgentProfile("a1", {"sales": 1}),),
        (Hotline("400", "sales"),),
        Policy(callback_reserve=None, ring_timeout=None),
        airings=(SPOT,),
    )
    center = CallCenter(config)
    for message in [
        LogIn(T0, "a1"),
        MakeReady(T0, "a1"),
        CallArrived(T0 + 100, "c1", "13800138000", "400"),
        CallArrived(T0 + 110, "c2", "13900139000", "400"),
        AgentAnswered(T0 + 111, "c1", "a1"),
        CallerHungUp(T0 + 130, "c2"),
        AgentHungUp(T0 + 300, "c1"),
        CallArrived(T0 + 5000, "c3", "13700137000", "400"),
        AgentAnswered(T0 + 5001, "c3", "a1"),
        AgentHungUp(T0 + 5100, "c3"),
    ]:
        center.handle(message)
    log = list(center.log)
    log.append(LogRecord(T0 + 290, "c1", "NONE", "a1", "ORDER_PLACED", "O1", 399.0, "400", "S1", "C1"))
    return log


def test_calls_and_orders_from_the_cores_event_log():
    log = core_log()
    calls = {c.call_id: c for c in calls_from_log(log)}
    assert calls["c1"] == Call("c1", T0 + 100, "400", "answered", False)
    assert calls["c2"] == Call("c2", T0 + 110, "400", "abandoned", True)
    assert orders_from_log(log) == [OrderFact(T0 + 290, "400", 399.0, "c1", "O1")]
    report = attribute([SPOT], log, orders_from_log(log))
    s1 = report.by_id("S1")
    assert (s1.calls, s1.answered, s1.abandoned, s1.callback_tickets, s1.orders, s1.revenue) == pytest.approx(
        (2, 1, 1, 1, 1, 399.0)
    )
    assert report.unattributed.calls == pytest.approx(1.0)  # c3 came long after the spot
    assert s1.revenue_lost_to_abandonment == pytest.approx(399.0)


def test_a_queue_log_read_back_as_text_gives_the_same_figures():
    log = core_log()
    text = [parse_queue_log_line("|".join(r.as_text_row())) for r in log]
    direct = attribute([SPOT], log, orders_from_log(log)).rows()
    reread = attribute([SPOT], text, orders_from_log(text)).rows()
    for a, b in zip(direct, reread):
        for key, value in a.items():
            if isinstance(value, float):
                assert b[key] == pytest.approx(value, abs=1e-3), key
            else:
                assert b[key] == value, key


def test_overflow_does_not_count_a_call_twice():
    records = [
        LogRecord(T0 + 10, "c1", "sales", "NONE", "ENTERQUEUE", "", "138", 1, "400"),
        LogRecord(T0 + 20, "c1", "backoffice", "NONE", "ENTERQUEUE", "", "138", 1, "400"),
        LogRecord(T0 + 30, "c1", "sales", "NONE", "EXITWITHTIMEOUT", 1, 1, 20.0),
    ]
    assert calls_from_log(records) == [Call("c1", T0 + 10, "400", "callback", False)]


# --- conservation -----------------------------------------------------------------------------------------

HOTLINES = ["400", "800", "950"]  # 950 has no airing at all

airings_strategy = st.lists(
    st.builds(
        lambda n, start, length, hotline, kind, cost: Airing(
            f"A{n}", "频道", T0 + start, length, hotline, kind=kind, cost=cost
        ),
        st.integers(0, 10_000),
        st.floats(0, 7200),
        st.sampled_from([1.0, 30.0, 60.0, 1800.0, 3600.0]),
        st.sampled_from(HOTLINES[:2]),
        st.sampled_from(["spot", "live", "sale"]),
        st.floats(0, 1e5),
    ),
    max_size=5,
    unique_by=lambda a: a.airing_id,
)
calls_strategy = st.lists(
    st.tuples(
        st.floats(-1000, 12_000),
        st.sampled_from(HOTLINES),
        st.sampled_from(["answered", "abandoned", "callback", ""]),
        st.booleans(),
    ),
    max_size=80,
)
orders_strategy = st.lists(
    st.tuples(st.floats(-1000, 12_000), st.sampled_from(HOTLINES), st.floats(0, 5000), st.integers(-1, 80)),
    max_size=30,
)
models = st.builds(
    lambda base, known_size, window: ResponseModel(
        window=window,
        baseline=constant_baseline(base),
        expected_calls=None if known_size is None else (lambda a: known_size),
    ),
    st.sampled_from([0.0, 1e-4, 0.01, 1.0]),
    st.one_of(st.none(), st.floats(0, 500)),
    st.sampled_from([0.0, 600.0, 1800.0]),
)


@settings(max_examples=150, deadline=None)
@given(airings_strategy, calls_strategy, orders_strategy, models)
def test_property_attributed_plus_unattributed_is_everything(airings, raw_calls, raw_orders, model):
    calls = [
        Call(f"c{i}", T0 + t, hotline, outcome, ticket) for i, (t, hotline, outcome, ticket) in enumerate(raw_calls)
    ]
    orders = [
        OrderFact(T0 + t, hotline, revenue, f"c{k}" if 0 <= k < len(calls) else "")
        for t, hotline, revenue, k in raw_orders
    ]
    report = attribute(airings, calls, orders, model=model)

    def total(field: str) -> float:
        return sum(getattr(r, field) for r in report.airings) + getattr(report.unattributed, field)

    assert total("calls") == pytest.approx(len(calls), abs=1e-9 * max(1, len(calls)))
    assert total("answered") == pytest.approx(sum(c.outcome == "answered" for c in calls), abs=1e-9 * 100)
    assert total("abandoned") == pytest.approx(sum(c.outcome == "abandoned" for c in calls), abs=1e-9 * 100)
    assert total("callback_tickets") == pytest.approx(sum(c.ticket for c in calls), abs=1e-9 * 100)
    assert total("orders") == pytest.approx(len(orders), abs=1e-9 * 100)
    revenue = sum(o.revenue for o in orders)
    assert total("revenue") == pytest.approx(revenue, rel=1e-9, abs=1e-6)
    for result in report.airings:
        assert result.calls >= 0 and result.revenue >= 0 and math.isfinite(result.expected_calls)
    for weights in report.call_weights.values():
        assert sum(weights.values()) <= 1 + 1e-9


def test_estimates_of_overlapping_airings_are_a_joint_fixed_point():
    a = Airing("A", "频道1", T0, 3600.0, "800", kind="live")
    b = Airing("B", "频道2", T0 + 1200, 60.0, "800", kind="spot")
    times = [T0 + 37.0 * k for k in range(1, 150)]
    base = 0.003
    model = ResponseModel(baseline=constant_baseline(base), tolerance=1e-9)
    report = attribute([a, b], [(t, "800", f"c{k}") for k, t in enumerate(times)], model=model)
    e = {r.airing_id: r.expected_calls for r in report.airings}
    shape = {"A": model.shape(a), "B": model.shape(b)}
    start = {"A": a.start, "B": b.start}
    for airing_id in ("A", "B"):
        share = 0.0
        for t in times:
            parts = {k: e[k] * shape[k](t - start[k]) for k in e}
            share += parts[airing_id] / (sum(parts.values()) + base)
        assert e[airing_id] == pytest.approx(share, rel=1e-6)
    assert sum(r.calls for r in report.airings) == pytest.approx(sum(e.values()), rel=1e-6)
