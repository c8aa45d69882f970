"""Roles and what each may do. Every endpoint names one permission (``deps.require``); a role has it or not.

* ``agent`` -- takes calls: finds and edits customers (phone numbers masked), enters orders, works callbacks,
  records calls and opens complaints; logs itself in and out of the live center, goes ready or pauses,
  holds and transfers its own call, and follows its own live events (``live.self``);
* ``planner`` -- plans staffing and reads results: the dashboards (``dashboards.open``), the airing schedule,
  reports and the site configuration (read only); takes no calls and sees no customer;
* ``supervisor`` -- an agent's rights plus full phone numbers, cancelling orders and the back office's order
  steps (sort, pay, dispatch, deliver, return) and stock (``orders.fulfil``, ``stock.manage``), the whole callback
  list and releasing or reassigning anyone's ticket (``callbacks.manage``), security alerts (``alerts.read``),
  closing complaints, the airing schedule and reports, the site configuration, finding and playing call
  recordings (``recordings.read``); every agent's live state and
  events, forcing it (``live.agents``), and listen / whisper / barge, hang-up, hold and transfer on any call
  (``live.supervise``); the dashboards; outbound campaigns: create, import lists,
  approve another's campaign (``campaigns.*``);
* ``admin`` -- everything, including users and the audit log.
"""

from __future__ import annotations

from decimal import Decimal

AGENT = "agent"
PLANNER = "planner"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ROLES = (AGENT, PLANNER, SUPERVISOR, ADMIN)

AGENT_PERMISSIONS = frozenset(
    {
        "customers.read",
        "customers.write",
        "products.read",
        "orders.read",
        "orders.create",
        "callbacks.claim",
        "calls.read",
        "calls.write",
        "complaints.read",
        "complaints.create",
        "complaints.work",
        "live.self",
    }
)
PLANNER_PERMISSIONS = frozenset({"dashboards.open", "airings.read", "reports.read", "site.read"})
SUPERVISOR_PERMISSIONS = (
    AGENT_PERMISSIONS
    | PLANNER_PERMISSIONS
    | {
        "phones.unmasked",
        "orders.cancel",
        "orders.fulfil",
        "stock.manage",
        "callbacks.list_all",
        "callbacks.manage",
        "alerts.read",
        "complaints.close",
        "airings.upload",
        "site.write",
        "live.agents",
        "live.supervise",
        "recordings.read",
        "campaigns.read",
        "campaigns.manage",
        "campaigns.approve",
    }
)
ADMIN_PERMISSIONS = SUPERVISOR_PERMISSIONS | {"users.manage", "audit.read"}

PERMISSIONS: dict[str, frozenset[str]] = {
    AGENT: AGENT_PERMISSIONS,
    PLANNER: PLANNER_PERMISSIONS,
    SUPERVISOR: frozenset(SUPERVISOR_PERMISSIONS),
    ADMIN: frozenset(ADMIN_PERMISSIONS),
}
ALL_PERMISSIONS = PERMISSIONS[ADMIN]

# the largest discount each role may give on its own, as a share of the order's subtotal
DISCOUNT_LIMIT: dict[str, Decimal] = {AGENT: Decimal("0.10"), SUPERVISOR: Decimal("0.30"), ADMIN: Decimal("0.30")}


def can(role: str, permission: str) -> bool:
    if permission not in ALL_PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in PERMISSIONS.get(role, frozenset())


def mask_phone(text: str | None) -> str | None:
    """138****5678: the first three and the last four digits of a number, the rest starred. Shorter numbers
    keep their last two digits only. Separators and China's country code (+86) are dropped; "" stays ""."""
    if not text:
        return text
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.lstrip().startswith("+86"):
        digits = digits[2:]
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]
