"""Domain errors -> HTTP answers. The core and the store raise ``ValueError`` subclasses that say what is
wrong; the console maps them by class (the most specific registered class wins), with the message as
``detail``. Nothing a client sends should produce a 500.

* 404 -- the thing named does not exist (``Unknown*``);
* 409 -- the request conflicts with the current state: out of stock, a transition the rules forbid, a
  ticket someone else holds, a concurrent change, a user name taken;
* 422 -- any other domain error: the input cannot be used (a bad phone number, address, amount, ...).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from adapters.store.airings import UnknownAiring
from adapters.store.call_records import ComplaintConflict, UnknownRecord
from adapters.store.orders import OrderConflict, UnknownOrder
from adapters.store.tickets import TicketConflict
from console.accounts import UnknownUser, UserExists
from core.catalog import OutOfStock, UnknownProduct
from core.customers import UnknownCustomer
from core.orders import CannotSort, InvalidTransition
from core.tickets import TicketError

STATUS_OF: dict[type[Exception], int] = {
    UnknownCustomer: 404, UnknownOrder: 404, UnknownProduct: 404, UnknownRecord: 404, UnknownAiring: 404,
    UnknownUser: 404,
    OutOfStock: 409, InvalidTransition: 409, CannotSort: 409, TicketError: 409, TicketConflict: 409,
    OrderConflict: 409, ComplaintConflict: 409, UserExists: 409,
    ValueError: 422,
}


def error_body(error: Exception, **extra) -> dict:
    return {"detail": str(error), "error": type(error).__name__, **extra}


def add_exception_handlers(app: FastAPI) -> None:
    for error_class, status_code in STATUS_OF.items():
        def handler(request: Request, error: Exception, status_code: int = status_code) -> JSONResponse:
            return JSONResponse(error_body(error, **getattr(error, "fields", {})), status_code=status_code)

        app.add_exception_handler(error_class, handler)
