"""What every collaborator of ``CallCenter`` is: given the center (whose state they share), and handling some
of its messages (``handlers``, merged into the center's dispatch table)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.bookkeeping import Handlers

if TYPE_CHECKING:
    from core.center import CallCenter


class CenterPart:
    def __init__(self, center: CallCenter) -> None:
        self.center = center

    def handlers(self) -> Handlers:
        return {}
