"""Domain errors -> HTTP answers. The core and the store raise ``ValueError`` subclasses that say what is
wrong; the console maps them by class (the most specific registered class wins), with the message as
``detail``. Nothing a client sends should produce a 500.

* 404 -- the thing named does not exist (``Unknown*``);
* 409 -- the request conflicts with the current state: out of stock, a transition the rules forbid, a
  ticket someone else holds, a concurrent change, a user name taken;
* 422 -- any other domain error: the input cannot be used (a bad phone number, address, amount, ...); also
  a value the database cannot store (``DataError``: a NUL character or an over-long text on PostgreSQL, a
  number out of range).

A constraint the database enforces (``IntegrityError``) that no domain check caught first is a 409.

* 503 with ``Retry-After`` -- the database is unavailable (down, restarting, no free connection in the pool
  within ``HOTLINE_POOL_TIMEOUT``, a statement or lock timeout): nothing was changed, send it again later;
* 500 -- a bug: ``{"detail": "internal error", "error": ...}`` as JSON, the traceback only in the log.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Optional, Union

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DataError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from adapters.store.airings import UnknownAiring
from adapters.store.call_records import ComplaintConflict, UnknownRecord
from adapters.store.idempotency import DuplicateRequest
from adapters.store.orders import OrderConflict, UnknownOrder
from adapters.store.site import SiteConflict, UnknownSiteVersion
from adapters.store.tickets import TicketConflict
from app.campaigns import CampaignConflict, ListRefused, UnknownCampaign, UnknownListNumber
from console.accounts import UnknownUser, UserExists
from core.catalog import OutOfStock, UnknownProduct
from core.customers import UnknownCustomer
from core.orders import CannotSort, InvalidTransition
from core.tickets import TicketError, UnknownTicket
from inputs.problems import InputFileError

STATUS_OF: dict[type[Exception], int] = {
    UnknownCustomer: 404,
    UnknownOrder: 404,
    UnknownProduct: 404,
    UnknownRecord: 404,
    UnknownAiring: 404,
    UnknownUser: 404,
    UnknownTicket: 404,
    UnknownSiteVersion: 404,
    UnknownCampaign: 404,
    UnknownListNumber: 404,
    CampaignConflict: 409,
    ListRefused: 422,
    OutOfStock: 409,
    InvalidTransition: 409,
    CannotSort: 409,
    TicketError: 409,
    TicketConflict: 409,
    OrderConflict: 409,
    ComplaintConflict: 409,
    UserExists: 409,
    SiteConflict: 409,
    DuplicateRequest: 409,
    ValueError: 422,
    DataError: 422,
    IntegrityError: 409,
}


log = logging.getLogger("hotline.console")

# the database could not answer: nothing was done (a commit that fails is rolled back), so a retry is safe
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)


class ErrorBody(BaseModel):
    """What every error answers: ``detail`` (a sentence, or FastAPI's list of field problems), the error's
    class, and its fields where it has some (an upload's ``problems``, a command's ``command``)."""

    model_config = ConfigDict(extra="allow")
    detail: Union[str, list[Any]]
    error: Optional[str] = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "a malformed request"),
        (401, "not logged in, or the token has expired"),
        (403, "the role lacks the permission"),
        (404, "the thing named does not exist"),
        (409, "the request conflicts with the current state"),
        (413, "the request body is too large"),
        (422, "the input cannot be used: the reason and the field"),
        (429, "too many tries or lookups: wait Retry-After seconds"),
        (503, "busy: retry after Retry-After"),
    )
}


def error_body(error: Exception, **extra) -> dict:
    if isinstance(error, (DataError, IntegrityError)):  # the driver's words, without the SQL and parameters
        message = f"the database refused the value: {str(error.orig).splitlines()[0]}"
    else:
        message = str(error)
    return {"detail": message, "error": type(error).__name__, **extra}


def input_file_error(request: Request, error: InputFileError) -> JSONResponse:
    """A bad uploaded file: every problem with its line and column; ``line``/``column`` name the first."""
    problems = [{"line": p.line, "column": p.field, "message": p.message} for p in error.problems]
    first = problems[0] if problems else {"line": None, "column": ""}
    return JSONResponse(
        error_body(error, problems=problems, line=first["line"], column=first["column"]), status_code=422
    )


def unavailable(request: Request, error: Exception) -> JSONResponse:
    retry_after = request.app.state.settings.retry_after
    log.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.url.path,
        str(getattr(error, "orig", None) or error).splitlines()[0] if str(error) else type(error).__name__,
    )
    return JSONResponse(
        {
            "detail": f"the database is unavailable, nothing was changed: try again in {retry_after} s",
            "error": "DatabaseUnavailable",
        },
        status_code=503,
        headers={"Retry-After": str(retry_after)},
    )


def internal_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal error (logged on the server)", "error": "InternalError"}, status_code=500)


def _json_safe(value):
    """NaN and infinities (which a client may send, JSON cannot carry back) as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


async def request_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, also when the refused input was NaN or Infinity."""
    return JSONResponse(
        {"detail": _json_safe(jsonable_encoder(error.errors(), custom_encoder={float: _json_safe}))}, status_code=422
    )


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(InputFileError, input_file_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    for error_class in UNAVAILABLE:
        app.add_exception_handler(error_class, unavailable)
    app.add_exception_handler(Exception, internal_error)
    for error_class, status_code in STATUS_OF.items():

        def handler(request: Request, error: Exception, status_code: int = status_code) -> JSONResponse:
            return JSONResponse(error_body(error, **getattr(error, "fields", {})), status_code=status_code)

        app.add_exception_handler(error_class, handler)
