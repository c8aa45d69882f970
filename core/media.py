"""Media ROI: which airing the calls and orders came from, and what each airing earned for its cost.

The model. Calls on a hotline number arrive as a Poisson process whose rate is a baseline (people who call
anyway) plus one response per airing on that number:

    rate(t) = baseline(hotline, t) + sum over airings a of  E[a] * f_a(t - a.start)

``f_a`` is the airing's response density over seconds since it started (it integrates to 1 over the
response window: the airing itself plus ``window`` seconds after it ends), ``E[a]`` its expected number
of calls. A call at time t belongs to airing a with probability

    w_a(t) = E[a] f_a(t - a.start) / rate(t)

and to nobody (the baseline) with the rest, ``baseline / rate``. So expected baseline calls in a window
are not credited to the airing, and overlapping airings on one number split a call in proportion to
their expected response at that moment. Weights of one call add up to 1, so attributed + unattributed
calls = all calls, and likewise for answered, abandoned, orders and revenue.

``E[a]`` is given (e.g. the twin's forecast) or estimated from the calls themselves by expectation-
maximisation: E[a] <- sum of w_a over the calls, repeated (with SQUAREM acceleration) to a fixed point,
the maximum-likelihood estimate of the response sizes given the shapes and the baseline.

Orders are attributed with the weights of the call they were taken on when that call is known, else with
the weights at the order's time on its hotline.

The same code reads a twin event log and a live one (ENTERQUEUE records, terminal verbs, CALLBACK_CREATED,
ORDER_PLACED), or plain tuples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from core.config import Airing
from core.log import OUTCOME_OF_VERB, LogRecord, Verb
from core.orders import ORDER_PLACED

ResponseDensity = Callable[[Airing, float], float]
"""(airing, seconds since it started) -> relative response intensity; need not integrate to 1, the model
normalises it over the response window. The twin's profiles (twin/profiles.py) fit here through a wrapper."""

Baseline = Callable[[str, float], float]
"""(hotline, time) -> calls per second that no airing caused."""

SPOT_PEAK = 90.0  # seconds after a spot starts when its response peaks (plus half its length)
TAIL = 300.0  # seconds: how fast a program's response fades after it ends


class MediaError(ValueError):
    """Inputs that cannot be attributed (repeated airing IDs, a call without a time, ...)."""


def default_density(airing: Airing, since_start: float) -> float:
    """A simple response shape, documented so that a media buyer can argue with it:
    - a spot (short commercial): gamma(2) over time, peaking ``SPOT_PEAK`` + length/2 seconds after it
      starts, most calls within ten minutes;
    - a live program or a sale: flat while on air, then fading exponentially after it ends (time
      constant ``TAIL``): viewers call while the offer runs, and some just after.
    """
    s = since_start
    if s < 0:
        return 0.0
    if airing.kind == "spot":
        scale = SPOT_PEAK + airing.length / 2
        return s / (scale * scale) * math.exp(-s / scale)
    level = 1.0 / (max(airing.length, 0.0) + TAIL)  # integrates to 1 over the airing and its whole tail
    if s <= airing.length:
        return level
    return level * math.exp(-(s - airing.length) / TAIL)


def constant_baseline(rates: Mapping[str, float] | float = 0.0) -> Baseline:
    """A baseline that does not change over time: one rate (calls/s) for every number, or one per number."""
    if isinstance(rates, Mapping):
        table = dict(rates)
        return lambda hotline, t: table.get(hotline, 0.0)
    rate = float(rates)
    return lambda hotline, t: rate


NO_BASELINE = constant_baseline(0.0)


@dataclass(frozen=True)
class ResponseModel:
    window: float = 1800.0  # response counted until this long after the airing ends (as Policy.response_window)
    density: ResponseDensity = default_density
    baseline: Baseline = NO_BASELINE
    expected_calls: Callable[[Airing], float] | None = None  # None: estimated from the calls (EM)
    iterations: int = 1000  # EM steps at most (SQUAREM spends three per round)
    tolerance: float = 1e-4  # EM stops when no airing's expected calls move more than this
    grid: int = 2000  # trapezoid steps when normalising a density over the window

    def end_of(self, airing: Airing) -> float:
        return airing.start + airing.length + self.window

    def shape(self, airing: Airing) -> Callable[[float], float]:
        """The airing's density normalised to integrate to 1 over its response window; 0 outside it."""
        span = airing.length + self.window
        if span <= 0:
            return lambda s: 0.0
        # integrate the airing and the time after it separately: shapes often have a kink at the end
        total = 0.0
        for a, b in ((0.0, max(airing.length, 0.0)), (max(airing.length, 0.0), span)):
            if b <= a:
                continue
            n = max(self.grid // 2, 1)
            h = (b - a) / n
            values = [max(self.density(airing, a + i * h), 0.0) for i in range(n + 1)]
            total += h * (sum(values) - (values[0] + values[-1]) / 2)
        if total <= 0:
            return lambda s: 0.0
        density = self.density
        return lambda s: max(density(airing, s), 0.0) / total if 0.0 <= s <= span else 0.0


# --- what is attributed ------------------------------------------------------------------------------


ANSWERED = "answered"
ABANDONED = "abandoned"
CALLBACK = "callback"  # left the queue for the callback prompt


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    time: float
    hotline: str
    outcome: str = ""  # answered | abandoned | callback | rejected | "" (unknown / still going)
    ticket: bool = False  # a callback ticket was created for it


@dataclass(frozen=True, slots=True)
class OrderFact:
    time: float
    hotline: str
    revenue: float
    call_id: str = ""
    order_id: str = ""


def calls_from_log(records: Iterable[LogRecord]) -> list[Call]:
    """One Call per ENTERQUEUE (at the hotline it names), with the outcome its terminal verb names and whether a
    callback ticket was created for it. Calls that never queued (REJECTED, OUTOFHOURS) are not counted."""
    entered: dict[str, tuple[float, str]] = {}
    outcome: dict[str, str] = {}
    tickets: set[str] = set()
    for record in records:
        verb = record.verb
        if verb == Verb.ENTERQUEUE:
            if record.call_id not in entered:  # the first entry counts; overflow does not make a new call
                entered[record.call_id] = (float(record.time), str(record.field("hotline")))
        elif verb in OUTCOME_OF_VERB:
            outcome.setdefault(record.call_id, OUTCOME_OF_VERB[verb])
        elif verb == Verb.CALLBACK_CREATED:
            tickets.add(record.call_id)
    return [
        Call(call_id, time, hotline, outcome.get(call_id, ""), call_id in tickets)
        for call_id, (time, hotline) in entered.items()
    ]


def orders_from_log(records: Iterable[LogRecord]) -> list[OrderFact]:
    """ORDER_PLACED records as order facts."""
    return [
        OrderFact(
            float(r.time),
            str(r.field("hotline")),
            float(str(r.field("total"))),
            "" if r.call_id == "NONE" else r.call_id,
            str(r.field("order")),
        )
        for r in records
        if r.verb == ORDER_PLACED
    ]


def _as_calls(items: Iterable[object]) -> list[Call]:
    items = list(items)
    if any(isinstance(item, LogRecord) for item in items):
        if not all(isinstance(item, LogRecord) for item in items):
            raise MediaError("calls: pass either a whole event log or Call / tuple items, not a mix")
        return calls_from_log(items)  # type: ignore[arg-type]
    calls = []
    for item in items:
        if isinstance(item, Call):
            calls.append(item)
        elif isinstance(item, tuple) and len(item) in (3, 4, 5):
            time, hotline, call_id, *rest = item
            calls.append(Call(str(call_id), float(time), str(hotline), *rest))
        else:
            raise MediaError(f"a call is a Call, a LogRecord or (time, hotline, call_id[, outcome, ticket]): {item!r}")
    return calls


def _as_orders(items: Iterable[object]) -> list[OrderFact]:
    orders = []
    for item in items:
        if isinstance(item, OrderFact):
            orders.append(item)
        elif isinstance(item, LogRecord):
            orders.extend(orders_from_log([item]))
        elif isinstance(item, tuple) and len(item) in (3, 4, 5):
            time, hotline, revenue, *rest = item
            orders.append(OrderFact(float(time), str(hotline), float(revenue), *map(str, rest)))
        else:
            raise MediaError(
                f"an order is an OrderFact, an ORDER_PLACED LogRecord or (time, hotline, revenue): {item!r}"
            )
    return orders


# --- results -----------------------------------------------------------------------------------------


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
        return self.cost / self.calls if self.calls > 0 else None

    @property
    def cost_per_order(self) -> float | None:
        return self.cost / self.orders if self.orders > 0 else None

    @property
    def mer(self) -> float | None:
        """Media efficiency ratio: revenue per yuan of media cost."""
        return self.revenue / self.cost if self.cost > 0 else None

    @property
    def conversion_rate(self) -> float | None:
        """Orders per answered call."""
        return self.orders / self.answered if self.answered > 0 else None

    @property
    def average_order_value(self) -> float | None:
        return self.revenue / self.orders if self.orders > 0 else None

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


# --- attribution -------------------------------------------------------------------------------------


def attribute(
    airings: Sequence[Airing],
    calls: Iterable[object],
    orders: Iterable[object] = (),
    model: ResponseModel = ResponseModel(),
) -> MediaReport:
    """Attribute calls and orders to airings (see the module docstring) and total them per airing.

    ``calls``: an event log (LogRecords), or Call items, or (time, hotline, call_id) tuples.
    ``orders``: OrderFact items, ORDER_PLACED LogRecords, or (time, hotline, revenue[, call_id]) tuples."""
    ordered = sorted(airings, key=lambda a: (a.start, a.airing_id))
    ids = [a.airing_id for a in ordered]
    if len(ids) != len(set(ids)):
        raise MediaError("airing ids repeat")
    call_list = _as_calls(calls)
    order_list = _as_orders(orders)

    on_number: dict[str, list[int]] = {}
    for i, airing in enumerate(ordered):
        on_number.setdefault(airing.hotline, []).append(i)
    shapes = [model.shape(a) for a in ordered]
    ends = [model.end_of(a) for a in ordered]

    def terms(hotline: str, t: float) -> tuple[list[tuple[int, float]], float]:
        """(airing index, normalised density at t) for the airings whose window holds t, and the baseline."""
        found = []
        for i in on_number.get(hotline, ()):
            airing = ordered[i]
            if airing.start <= t <= ends[i]:
                f = shapes[i](t - airing.start)
                if f > 0:
                    found.append((i, f))
        return found, max(float(model.baseline(hotline, t)), 0.0)

    call_terms = [terms(c.hotline, c.time) for c in call_list]
    expected = _expected_calls(ordered, call_terms, model)

    def weights(found: list[tuple[int, float]], base: float) -> tuple[dict[int, float], float]:
        parts = {i: expected[i] * f for i, f in found if expected[i] > 0}
        rate = sum(parts.values()) + base
        if rate <= 0:
            return {}, 1.0
        return {i: p / rate for i, p in parts.items()}, base / rate

    n = len(ordered)
    sums = {k: [0.0] * (n + 1) for k in ("calls", "answered", "abandoned", "callback_tickets", "orders", "revenue")}
    call_weights: dict[str, dict[str, float]] = {}
    by_call: dict[str, tuple[dict[int, float], float]] = {}

    def add(kind: str, shares: dict[int, float], rest: float, amount: float = 1.0) -> None:
        column = sums[kind]
        for i, w in shares.items():
            column[i] += w * amount
        column[n] += rest * amount  # the last slot is the unattributed remainder

    for call, (found, base) in zip(call_list, call_terms):
        shares, rest = weights(found, base)
        by_call[call.call_id] = (shares, rest)
        call_weights[call.call_id] = {ordered[i].airing_id: w for i, w in shares.items()}
        add("calls", shares, rest)
        if call.outcome == ANSWERED:
            add("answered", shares, rest)
        elif call.outcome == ABANDONED:
            add("abandoned", shares, rest)
        if call.ticket:
            add("callback_tickets", shares, rest)

    for order in order_list:
        if order.call_id and order.call_id in by_call:
            shares, rest = by_call[order.call_id]
        else:
            shares, rest = weights(*terms(order.hotline, order.time))
        add("orders", shares, rest)
        add("revenue", shares, rest, order.revenue)

    def result(i: int) -> AiringResult:
        counts = {k: v[i] for k, v in sums.items()}
        if i == n:
            return AiringResult("", "", "", "", "", 0.0, 0.0, 0.0, **counts)
        a = ordered[i]
        return AiringResult(
            a.airing_id, a.channel, a.hotline, a.product, a.kind, a.start, a.cost, expected[i], **counts
        )

    return MediaReport(
        airings=tuple(result(i) for i in range(n)),
        unattributed=result(n),
        total_calls=len(call_list),
        total_orders=len(order_list),
        total_revenue=sum(o.revenue for o in order_list),
        call_weights=call_weights,
    )


def _expected_calls(
    airings: Sequence[Airing], call_terms: list[tuple[list[tuple[int, float]], float]], model: ResponseModel
) -> list[float]:
    if model.expected_calls is not None:
        return [max(float(model.expected_calls(a)), 0.0) for a in airings]
    n = len(airings)
    # calls inside one airing's window only (the common case) take the short path
    single: list[tuple[int, float, float]] = []
    shared: list[tuple[list[tuple[int, float]], float]] = []
    start = [0.0] * n  # "every call in the window is the airing's"; the baseline then takes back its share
    for found, base in call_terms:
        for i, _f in found:
            start[i] += 1.0
        if len(found) == 1:
            single.append((found[0][0], found[0][1], base))
        elif found:
            shared.append((found, base))

    def em_step(expected: list[float]) -> list[float]:
        new = [0.0] * n
        for i, f, base in single:
            part = expected[i] * f
            if part > 0:
                new[i] += part / (part + base)
        for found, base in shared:
            parts = [(i, expected[i] * f) for i, f in found]
            rate = sum(p for _, p in parts) + base
            if rate > 0:
                for i, p in parts:
                    new[i] += p / rate
        return new

    # EM converges slowly when airings overlap; SQUAREM (Varadhan & Roland 2008) extrapolates along two
    # EM steps and falls back to the plain step whenever the extrapolation leaves the feasible region
    expected = start
    for _ in range(max(model.iterations // 3, 1)):
        one = em_step(expected)
        two = em_step(one)
        r = [b - a for a, b in zip(expected, one)]
        v = [c - 2 * b + a for a, b, c in zip(expected, one, two)]
        rr, vv = sum(x * x for x in r), sum(x * x for x in v)
        candidate = two
        if vv > 0 and rr > 0:
            alpha = -math.sqrt(rr / vv)
            jump = [a - 2 * alpha * dr + alpha * alpha * dv for a, dr, dv in zip(expected, r, v)]
            if all(x >= 0 for x in jump):
                candidate = em_step(jump)
        change = max((abs(a - b) for a, b in zip(candidate, expected)), default=0.0)
        expected = candidate
        if change <= model.tolerance:
            break
    return expected
