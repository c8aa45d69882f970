"""Forms: a posted form checked by a pydantic model, every problem as a message beside its field.

``check(model, values, t)`` returns ``(parsed, errors)``: ``errors`` maps a field name to its message in the
page's language (pydantic's error kinds translated through the catalogue; a validator's own message as it
is). The page renders the form again with ``values`` (what was typed, kept) and ``errors``; the template macro
``field`` in ``_forms.html`` shows both. ``FormDep`` is the posted form as a plain dict (the last value of a
repeated name; ``form_lists`` for the repeated ones). ``command_refusal(answer)``: why the live center did not
carry out a page's command (``console.routers.agents.run_command``'s error answer), to show beside the button.

``submit(...)`` is the post of a form page: check the form, carry out the use case, show the page again with a
notice, or with what was typed and every problem beside its field (422).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Callable, Mapping, TypeVar

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
MAX_FORM_FIELDS = 400  # the order form has a quantity per product; anything far beyond is not a person typing


async def form_values(request: Request) -> dict[str, str]:
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    return {key: value if isinstance(value, str) else "" for key, value in form.items()}


FormDep = Annotated[dict[str, str], Depends(form_values)]


def _message(error: dict, t: Callable[..., str]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return t("field.required")
    if kind == "string_too_short":
        return t("field.too_short", n=ctx.get("min_length"))
    if kind == "string_too_long":
        return t("field.too_long", n=ctx.get("max_length"))
    if kind in ("int_parsing", "float_parsing", "decimal_parsing", "int_from_float", "decimal_max_places"):
        return t("field.number")
    if kind in ("greater_than_equal", "greater_than"):
        return t("field.min", n=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return t("field.max", n=ctx.get("le", ctx.get("lt")))
    if kind in ("literal_error", "enum"):
        return t("field.choice")
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"])
    return t("field.invalid")


def check(model: type[Model], values: dict[str, Any], t: Callable[..., str]) -> tuple[Model | None, dict[str, str]]:
    try:
        return model.model_validate(values), {}
    except ValidationError as failure:
        errors: dict[str, str] = {}
        for error in failure.errors():
            name = ".".join(str(part) for part in error["loc"]) or "form"
            errors.setdefault(name, _message(error, t))
        return None, errors


def command_refusal(answer: object) -> str | None:
    """The detail of a live command's error answer (center down, refused by the core, not answered); None
    when it was carried out."""
    if not isinstance(answer, JSONResponse):
        return None
    return str(json.loads(bytes(answer.body)).get("detail", "")) or "refused"


class FieldProblem(Exception):
    """A problem with one field found after the form parsed (a rule between fields, a name already taken)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# an exception the use case may raise -> the field its message is shown beside (or a function of it naming one)
Refusals = Mapping[type[Exception], str | Callable[[Any], str]]


def _field_of(refused: Exception, refusals: Refusals) -> str:
    if isinstance(refused, FieldProblem):
        return refused.field
    field = next(field for kind, field in refusals.items() if isinstance(refused, kind))
    return field if isinstance(field, str) else field(refused)


def submit(
    form: dict[str, str],
    model: type[Model],
    t: Callable[..., str],
    act: Callable[[Model], str],
    page: Callable[..., Response],
    refusals: Refusals,
    *,
    prefix: str = "",
    kept: dict[str, str] | None = None,
) -> Response:
    """``form`` checked by ``model``; when it parses, ``act(parsed)`` carries out the use case and returns the
    notice, and ``page(notice=...)`` shows it. When it does not, or ``act`` raises ``FieldProblem`` or an
    exception of ``refusals`` (the first kind that matches names the field), the page comes back with what was
    typed (``kept``, default the whole form) and the messages: ``page(values=..., errors=..., status_code=422)``,
    every name led by ``prefix`` (the row's own fields on a page of several forms)."""
    parsed, errors = check(model, form, t)
    if parsed is not None:
        kinds: tuple[type[Exception], ...] = (FieldProblem, *refusals)
        try:
            return page(notice=act(parsed))
        except kinds as refused:
            errors = {_field_of(refused, refusals): str(refused)}
    values = form if kept is None else kept
    return page(
        values={prefix + k: v for k, v in values.items()},
        errors={prefix + k: v for k, v in errors.items()},
        status_code=422,
    )
