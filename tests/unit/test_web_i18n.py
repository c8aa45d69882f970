"""The web console's catalogue: the language a browser gets, and every label the templates and page code
use exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.web.i18n import EN, MESSAGES, ZH, language_of, translator

WEB = Path(__file__).resolve().parents[2] / "console" / "web"
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']""")


@pytest.mark.parametrize(
    "cookie, header, expected",
    [
        (None, "zh-CN,zh;q=0.9,en;q=0.8", ZH),
        (None, "en-US,en;q=0.9", EN),
        (None, "fr-FR,en;q=0.5,zh;q=0.9", ZH),  # by quality, not by position
        (None, "de-DE", ZH),  # nothing we have: the site's own language
        (None, None, ZH),
        ("en", "zh-CN", EN),  # the switch wins over the browser
        ("xx", "en", EN),  # a cookie we do not know is ignored
    ],
)
def test_the_language_comes_from_the_switch_then_the_browser_then_the_site(cookie, header, expected):
    assert language_of(cookie, header) == expected


@given(st.one_of(st.none(), st.text(max_size=60)), st.one_of(st.none(), st.text(max_size=200)))
def test_any_header_or_cookie_picks_one_of_the_languages(cookie, header):
    assert language_of(cookie, header) in (ZH, EN)


def test_every_label_used_in_the_pages_is_in_the_catalogue_in_both_languages():
    used = set()
    for path in list(WEB.rglob("*.html")) + list(WEB.rglob("*.py")):
        used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 50
    assert sorted(used - set(MESSAGES)) == []
    assert all(zh.strip() and en.strip() for zh, en in MESSAGES.values())


def test_a_label_takes_its_values_and_a_missing_one_shows_its_key():
    assert translator(EN)("order.discount_limit", pct=10) == "Your role may give at most 10%"
    assert translator(ZH)("order.discount_limit", pct=10) == "您的角色最多可优惠 10%"
    assert translator(EN)("no.such_label") == "no.such_label"


def test_every_value_a_page_labels_by_its_name_has_a_label():
    from adapters.store.models import TICKET_STATUSES
    from console.permissions import ROLES
    from console.web.routers.agent import PAUSE_REASONS
    from core.call_records import BUSINESS_TYPES, CALL_TYPES, COMPLAINT_STATUSES
    from core.orders import PAYMENT_METHODS, STATUSES
    from core.tickets import OUTCOMES

    wanted = (
        [f"status.{s}" for s in (*TICKET_STATUSES, *COMPLAINT_STATUSES, *STATUSES)]
        + [f"outcome.{o}" for o in OUTCOMES]
        + [f"business.{b}" for b in BUSINESS_TYPES]
        + [f"calltype.{c}" for c in CALL_TYPES]
        + [f"payment.{p}" for p in PAYMENT_METHODS]
        + [f"role.{r}" for r in ROLES]
        + [f"reason.{r}" for r in PAUSE_REASONS]
        + [f"state.{s}" for s in ("out", "ready", "paused", "ringing", "talking", "wrapup", "callback")]
        + [f"kind.{k}" for k in ("order", "call", "complaint", "ticket")]
    )
    assert [key for key in wanted if key not in MESSAGES] == []
