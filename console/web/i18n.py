"""The web console's one message catalogue: every label in Simplified Chinese and English.

``language_of(request)`` picks the language: the ``lang`` cookie (the switch in the page header sets it), else
the first of the browser's ``Accept-Language`` that we have, else Chinese (the site's own). ``translator(lang)``
gives the ``t(key, **values)`` the templates call; a key missing from the catalogue shows as the key itself,
so a forgotten label is visible, never an error. Pages of other groups add their labels with ``add_messages``.
"""

from __future__ import annotations

from typing import Callable

ZH, EN = "zh", "en"
LANGUAGES = (ZH, EN)
LANG_COOKIE = "lang"

MESSAGES: dict[str, tuple[str, str]] = {
    # layout and login
    "app.title": ("热线坐席台", "Hotline console"),
    "nav.desk": ("坐席工作台", "Agent desk"),
    "nav.callbacks": ("回呼工单", "Callbacks"),
    "nav.complaints": ("投诉", "Complaints"),
    "nav.password": ("修改密码", "Password"),
    "nav.logout": ("退出", "Log out"),
    "nav.language": ("English", "中文"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误，或账号已停用", "Wrong user name or password, or the user is inactive"),
    "logged_out": ("已退出登录", "You are logged out"),
    "role.agent": ("坐席", "agent"),
    "role.planner": ("排班规划", "planner"),
    "role.supervisor": ("班长", "supervisor"),
    "role.admin": ("管理员", "admin"),
    "error.forbidden": ("您的角色无权访问此页面", "Your role may not open this page"),
    "error.not_found": ("页面不存在", "No such page"),
    "error.title": ("出错了", "Something is wrong"),
    "form.fix": ("请更正标出的字段", "Please correct the marked fields"),
    "form.saved": ("已保存", "Saved"),
    # field messages
    "field.required": ("必填", "Required"),
    "field.too_short": ("至少 {n} 个字符", "At least {n} characters"),
    "field.too_long": ("最多 {n} 个字符", "At most {n} characters"),
    "field.invalid": ("格式不正确", "Not a valid value"),
    "field.number": ("请输入数字", "Enter a number"),
    "field.min": ("不能小于 {n}", "Must be at least {n}"),
    "field.max": ("不能大于 {n}", "Must be at most {n}"),
    "field.choice": ("请选择一项", "Choose one"),
    # password
    "password.title": ("修改密码", "Change password"),
    "password.current": ("当前密码", "Current password"),
    "password.new": ("新密码", "New password"),
    "password.repeat": ("再次输入新密码", "New password again"),
    "password.wrong": ("当前密码不正确", "The current password is wrong"),
    "password.mismatch": ("两次输入的新密码不一致", "The two new passwords differ"),
    "password.changed": ("密码已修改，其他登录已失效", "Password changed; your other logins have ended"),
    "password.submit": ("修改", "Change"),
    # agent desk and state bar
    "desk.title": ("坐席工作台", "Agent desk"),
    "desk.agent": ("坐席工号", "Agent"),
    "desk.extension": ("分机", "Extension"),
    "desk.login": ("签入", "Log in"),
    "desk.logout": ("签出", "Log out"),
    "desk.ready": ("就绪", "Ready"),
    "desk.pause": ("小休", "Pause"),
    "desk.reason": ("原因", "Reason"),
    "desk.end_wrapup": ("结束话后", "End wrap-up"),
    "desk.wrapup_left": ("话后剩余 {s} 秒", "Wrap-up: {s} s left"),
    "desk.waiting": ("等待来电…", "Waiting for a call…"),
    "desk.no_live": ("实时中心未运行", "The live center is not running"),
    "reason.break": ("休息", "Break"),
    "reason.meal": ("用餐", "Meal"),
    "reason.meeting": ("开会", "Meeting"),
    "reason.training": ("培训", "Training"),
    "state.out": ("未签入", "Logged out"),
    "state.ready": ("就绪", "Ready"),
    "state.paused": ("小休", "Paused"),
    "state.ringing": ("振铃", "Ringing"),
    "state.talking": ("通话中", "Talking"),
    "state.wrapup": ("话后处理", "Wrap-up"),
    "state.callback": ("回呼中", "Callback"),
    # screen pop
    "pop.title": ("来电弹屏", "Screen pop"),
    "pop.caller": ("来电号码", "Caller"),
    "pop.region": ("号码归属地", "Region"),
    "pop.hotline": ("拨打热线", "Hotline dialled"),
    "pop.on_air": ("正在播出", "On air"),
    "pop.nothing_on_air": ("当前无播出", "Nothing on air"),
    "pop.customers": ("匹配客户", "Matching customers"),
    "pop.no_customer": ("新客户：没有匹配的客户", "New caller: no customer has this number"),
    "pop.vip": ("VIP", "VIP"),
    "pop.owner": ("专属坐席：{agent}", "Owner: {agent}"),
    "pop.history": ("历史（最新在前）", "History (newest first)"),
    "pop.no_history": ("无历史记录", "No history"),
    "pop.withheld": ("未显示号码", "Withheld"),
    "kind.order": ("订单", "Order"),
    "kind.call": ("通话", "Call"),
    "kind.complaint": ("投诉", "Complaint"),
    "kind.ticket": ("回呼工单", "Callback ticket"),
    # order entry
    "order.title": ("下单", "Order"),
    "order.customer": ("客户", "Customer"),
    "order.new_customer": ("新客户", "New customer"),
    "order.lookup": ("按电话查找客户", "Find a customer by phone"),
    "order.lookup_button": ("查找", "Find"),
    "order.lookup_none": ("没有客户使用这个号码", "No customer has this number"),
    "order.name": ("姓名", "Name"),
    "order.phone": ("电话", "Phone"),
    "order.use_caller": ("来电号码", "The caller's number"),
    "order.address": ("地址", "Address"),
    "order.city": ("城市（拼音首字母或邮编）", "City (pinyin initials or postcode)"),
    "order.detail": ("详细地址", "Street, building, room"),
    "order.recipient": ("收件人", "Recipient"),
    "order.saved_address": ("已有地址", "Saved address"),
    "order.new_address": ("新地址", "New address"),
    "order.products": ("商品", "Products"),
    "order.sku": ("编号", "SKU"),
    "order.price": ("单价", "Price"),
    "order.stock": ("可售", "In stock"),
    "order.quantity": ("数量", "Qty"),
    "order.suggestions": ("推荐", "Suggestions"),
    "order.payment": ("付款方式", "Payment"),
    "payment.cod": ("货到付款", "Cash on delivery"),
    "payment.prepaid": ("预付", "Prepaid"),
    "order.survey": ("媒体调查", "Media survey"),
    "order.channel": ("频道", "Channel"),
    "order.program": ("节目", "Program"),
    "order.airing": ("播出编号", "Airing"),
    "order.discount": ("优惠（元）", "Discount (yuan)"),
    "order.discount_limit": ("您的角色最多可优惠 {pct}%", "Your role may give at most {pct}%"),
    "order.review": ("核对", "Review"),
    "order.readback": ("请向客户复述：", "Read back to the caller:"),
    "order.total": ("合计", "Total"),
    "order.confirm": ("确认下单", "Confirm order"),
    "order.edit": ("修改", "Change"),
    "order.placed": ("订单 {id} 已下单，合计 {total}", "Order {id} placed, total {total}"),
    "order.no_lines": ("请至少选择一件商品", "Choose at least one product"),
    "order.pick_customer": ("请选择客户或填写新客户", "Choose a customer or fill in a new one"),
    "order.out_of_stock": ("库存不足：{detail}", "Not enough stock: {detail}"),
    "order.city_unknown": ("找不到该城市", "No such city"),
    "order.city_ambiguous": ("有多个城市匹配，请选择", "Several cities match: choose one"),
    # call record
    "record.title": ("通话记录", "Call record"),
    "record.disposition": ("业务类型", "Disposition"),
    "record.call_type": ("通话类型", "Call type"),
    "record.summary": ("摘要", "Summary"),
    "record.save": ("保存通话记录", "Save call record"),
    "record.saved": ("通话记录 {id} 已保存", "Call record {id} saved"),
    "record.complaint": ("同时登记投诉", "Also open a complaint"),
    "record.unknown": ("没有 {id}", "No {id} exists"),
    "record.complaint_needs": ("登记投诉时业务类型应为“投诉”", "A complaint needs the disposition Complaint"),
    "business.callback": ("回呼", "Callback"),
    "business.order": ("订购", "Order"),
    "business.inquiry": ("咨询", "Inquiry"),
    "business.complaint": ("投诉", "Complaint"),
    "business.harassment": ("骚扰", "Harassment"),
    "calltype.normal": ("正常", "Normal"),
    "calltype.silent": ("无声", "Silent"),
    "calltype.dropped": ("中断", "Dropped"),
    # callbacks
    "callbacks.title": ("回呼工单", "Callback worklist"),
    "callbacks.claim_next": ("领取下一个", "Claim next"),
    "callbacks.none": ("没有待回呼的工单", "No callback waiting"),
    "callbacks.number": ("号码", "Number"),
    "callbacks.queue": ("队列", "Queue"),
    "callbacks.created": ("创建时间", "Created"),
    "callbacks.attempts": ("尝试次数", "Attempts"),
    "callbacks.status": ("状态", "Status"),
    "callbacks.claim": ("领取", "Claim"),
    "callbacks.release": ("放回", "Release"),
    "callbacks.outcome": ("结果", "Outcome"),
    "callbacks.save": ("记录结果", "Record outcome"),
    "callbacks.mine": ("我领取的", "Claimed by me"),
    "callbacks.claimed": ("已领取工单 {id}", "Ticket {id} claimed"),
    "callbacks.done": ("工单 {id}：{outcome}", "Ticket {id}: {outcome}"),
    "outcome.ordered": ("已下单", "Ordered"),
    "outcome.cancelled": ("客户取消", "Cancelled"),
    "outcome.unreachable": ("未接通（稍后重试）", "Unreachable (retry later)"),
    "outcome.inquiry": ("咨询", "Inquiry"),
    "outcome.complaint": ("投诉", "Complaint"),
    "outcome.wrong_number": ("号码错误", "Wrong number"),
    # complaints
    "complaints.title": ("投诉", "Complaints"),
    "complaints.none": ("没有投诉", "No complaints"),
    "complaints.description": ("描述", "Description"),
    "complaints.category": ("类别", "Category"),
    "complaints.handler": ("处理人", "Handler"),
    "complaints.note": ("备注", "Note"),
    "complaints.resolution": ("处理结果", "Resolution"),
    "complaints.status": ("状态", "Status"),
    "complaints.opened": ("登记时间", "Opened"),
    "complaints.work": ("接手", "Take it"),
    "complaints.hand_over": ("转交", "Hand over"),
    "complaints.resolve": ("解决", "Resolve"),
    "complaints.open_from": ("通话记录编号", "Call record"),
    "complaints.open": ("登记投诉", "Open complaint"),
    "complaints.changed": ("投诉 {id} 已更新", "Complaint {id} updated"),
    "status.open": ("待处理", "open"),
    "status.in_progress": ("处理中", "in progress"),
    "status.resolved": ("已解决", "resolved"),
    "status.closed": ("已关闭", "closed"),
    "status.claimed": ("已领取", "claimed"),
    "status.done": ("已完成", "done"),
    "status.expired": ("已过期", "expired"),
    "status.waiting": ("等待重试", "waiting"),
    "status.placed": ("已下单", "placed"),
    "status.sorted": ("已分拣", "sorted"),
    "status.dispatched": ("已发货", "dispatched"),
    "status.delivered": ("已签收", "delivered"),
    "status.returned": ("已退回", "returned"),
    "status.cancelled": ("已取消", "cancelled"),
}


def add_messages(messages: dict[str, tuple[str, str]]) -> None:
    """Labels of another page group (a key may be defined once)."""
    taken = sorted(set(messages) & set(MESSAGES))
    if taken:
        raise KeyError(f"labels defined twice: {', '.join(taken)}")
    MESSAGES.update(messages)


def language_of(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie  # type: ignore[return-value]
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in LANGUAGES:
            return tag
    return ZH


def translator(lang: str) -> Callable[..., str]:
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str, **values: object) -> str:
        text = MESSAGES[key][index] if key in MESSAGES else key
        return text.format(**values) if values else text

    return t
