"""Stock in the warehouses, changed by the back office: goods in (a delivery from the supplier) and goods
written off (damaged, lost), each with its audit row. Units promised to orders cannot be written off (the
core's ``StockBook`` decides)."""

from __future__ import annotations

from dataclasses import dataclass

from app.ports import AuditEntry, UnitOfWork


@dataclass(slots=True)
class ReceiveStock:
    now: float
    warehouse_id: str
    sku: str
    quantity: int
    by: str


@dataclass(slots=True)
class WriteOffStock:
    now: float
    warehouse_id: str
    sku: str
    quantity: int
    by: str
    reason: str


def receive_stock(command: ReceiveStock, uow: UnitOfWork) -> None:
    """Raises ``UnknownProduct``, or ``ValueError`` for a quantity that is not positive."""
    with uow:
        uow.catalog.receive(command.warehouse_id, command.sku, command.quantity)
        _audit(uow, command, "stock.receive", f"+{command.quantity} at {command.warehouse_id}")
        uow.commit()


def write_off_stock(command: WriteOffStock, uow: UnitOfWork) -> None:
    """Raises ``OutOfStock`` (fewer free units there) or ``ValueError``; a write-off needs its reason."""
    if not command.reason.strip():
        raise ValueError("say why the goods are written off")
    with uow:
        uow.catalog.write_off(command.warehouse_id, command.sku, command.quantity)
        _audit(uow, command, "stock.write_off", f"-{command.quantity} at {command.warehouse_id}: {command.reason}")
        uow.commit()


def _audit(uow: UnitOfWork, command: ReceiveStock | WriteOffStock, action: str, detail: str) -> None:
    """A stock change's audit row: on the product, by whoever changed it."""
    uow.audit.add(AuditEntry(command.now, command.by, action, "product", (command.sku,), detail))
