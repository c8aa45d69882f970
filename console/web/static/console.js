// Hotline web console: small hand-written helpers, no framework.
//  * form[data-target]: posted with fetch, the answer (HTML) replaces the target's content; the page stays,
//    so the agent's live stream stays connected.
//  * [data-load]: the element's content is fetched from that URL.
//  * the agent desk (body[data-agent]): state bar commands through /api/agents/..., live events from the
//    WebSocket /api/stream (the login cookie authenticates it), screen pop, wrap-up countdown.
"use strict";

const Hotline = (() => {
  async function fetchHtml(url, options) {
    const response = await fetch(url, { credentials: "same-origin", ...options });
    if (response.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
    return response.text();
  }

  function activate(root) {
    root.querySelectorAll("[data-load]").forEach((el) => load(el, el.dataset.load));
    root.querySelectorAll("[autofocus]").forEach((el) => el.focus());
  }

  async function load(target, url) {
    const html = await fetchHtml(url);
    if (html !== null) { target.innerHTML = html; activate(target); }
  }

  async function submitInto(form, submitter) {
    const target = document.querySelector(form.dataset.target);
    const body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    form.querySelectorAll("button").forEach((b) => (b.disabled = true));
    try {
      const html = await fetchHtml(form.action, { method: "POST", body });
      if (html !== null) { target.innerHTML = html; activate(target); }
    } finally {
      form.querySelectorAll("button").forEach((b) => (b.disabled = false));
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.target) { event.preventDefault(); submitInto(form, event.submitter); }
  });

  // the order form: a product's button adds one of it; the city field offers the divisions that match
  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add]");
    if (!add) return;
    event.preventDefault();
    const input = document.getElementById(add.dataset.add);
    input.value = String((parseInt(input.value, 10) || 0) + 1);
    const review = document.getElementById("order-review");
    if (review) review.focus();
  });

  let cityTimer = null;
  document.addEventListener("input", (event) => {
    const input = event.target.closest("[data-divisions]");
    if (!input) return;
    clearTimeout(cityTimer);
    cityTimer = setTimeout(async () => {
      const list = document.getElementById(input.dataset.divisions);
      if (input.value.trim().length < 2) { list.innerHTML = ""; return; }
      const response = await fetch("/api/divisions?limit=8&entry=" + encodeURIComponent(input.value.trim()));
      if (!response.ok) return;
      const found = await response.json();
      list.innerHTML = "";
      for (const d of found) {
        const option = document.createElement("option");
        option.value = d.code;
        option.textContent = [d.province, d.city, d.county].filter(Boolean).join(" ");
        list.appendChild(option);
      }
    }, 150);
  });

  return { load, activate, fetchHtml };
})();

const Desk = (() => {
  const body = document.body;
  let state = null;
  let since = 0;
  let popCall = "";
  let popSeq = 0;
  let connectedCall = "";
  let recorded = "";

  function labels() { return JSON.parse(body.dataset.labels || "{}"); }

  function showState(next, reason, at) {
    state = next; since = at || Date.now() / 1000;
    const el = document.getElementById("state");
    el.className = "state tag " + next;
    el.dataset.state = next;
    el.textContent = (labels()[next] || next) + (reason ? " · " + reason : "");
    document.querySelectorAll("[data-when]").forEach((b) => {
      b.hidden = !b.dataset.when.split(" ").includes(next);
    });
    tick();
  }

  function tick() {
    const left = document.getElementById("wrapup-left");
    if (!left) return;
    const wrapup = parseFloat(body.dataset.wrapup || "0");
    if (state === "wrapup" && wrapup > 0) {
      const seconds = Math.max(0, Math.round(since + wrapup - Date.now() / 1000));
      left.textContent = (labels()._wrapup_left || "{s}").replace("{s}", seconds);
    } else {
      left.textContent = "";
    }
  }

  async function command(kind, payload) {
    const error = document.getElementById("command-error");
    error.textContent = "";
    const response = await fetch(`/api/agents/${encodeURIComponent(body.dataset.agent)}/${kind}`, {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok && answer.result && answer.result.state) {
      showState(answer.result.state, answer.result.reason || "");
    } else if (!response.ok) {
      error.textContent = answer.detail || response.statusText;
    }
  }

  // the call record opens when the agent's call is over (wrap-up, or straight back to ready / paused)
  function recordCall() {
    const placed = document.querySelector("[data-order-id]");
    const chosen = document.querySelector("#order-form input[name=customer]:checked");
    const query = new URLSearchParams({ seq: popSeq });
    if (placed) { query.set("order_id", placed.dataset.orderId); query.set("customer_id", placed.dataset.customerId); }
    else if (chosen && chosen.value !== "new") query.set("customer_id", chosen.value);
    recorded = popCall;
    Hotline.load(document.getElementById("record"), "/agent/record?" + query);
  }

  function onEvent(event) {
    document.dispatchEvent(new CustomEvent("hotline:event", { detail: event }));  // for other panels
    if (event.agent_id !== body.dataset.agent) return;
    if (event.kind === "agent_state") {
      showState(event.payload.state, event.payload.reason || "", event.at);
      const busy = ["ringing", "talking"].includes(event.payload.state);
      if (!busy && popCall && connectedCall === popCall && recorded !== popCall) recordCall();
    } else if (event.call_id !== popCall && (event.kind === "ringing" || event.kind === "connected")) {
      popCall = event.call_id;
      popSeq = event.seq;
      if (event.kind === "connected") connectedCall = popCall;
      document.getElementById("record").innerHTML = "";
      Hotline.load(document.getElementById("work"), "/agent/pop?seq=" + event.seq);
    } else if (event.kind === "connected") {
      connectedCall = popCall;
      const pop = document.getElementById("pop");
      if (pop) pop.classList.remove("ringing");
    }
  }

  function connect(after) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = after === undefined ? "" : "?after=" + after;  // 0 too: the page was drawn before any event
    const socket = new WebSocket(`${scheme}://${location.host}/api/stream${query}`);
    let last = after;
    socket.onopen = () => { body.dataset.stream = "open"; };
    socket.onmessage = (message) => { const event = JSON.parse(message.data); last = event.seq; onEvent(event); };
    socket.onclose = () => { body.dataset.stream = "closed"; setTimeout(() => connect(last), 1000); };
  }

  function start() {
    if (!body.dataset.agent) return;
    const el = document.getElementById("state");
    showState(el.dataset.state, el.dataset.reason || "", parseFloat(el.dataset.since || "0") || undefined);
    document.addEventListener("click", (event) => {
      const button = event.target.closest("[data-command]");
      if (!button) return;
      event.preventDefault();
      const kind = button.dataset.command;
      const payload = {};
      if (kind === "login") payload.extension = document.getElementById("extension").value || null;
      if (kind === "pause") payload.reason = document.getElementById("pause-reason").value;
      command(kind, payload);  // login, logout, ready, pause, end-wrapup: the API's paths
    });
    setInterval(tick, 1000);
    const after = parseInt(body.dataset.after, 10);
    connect(Number.isNaN(after) ? undefined : after);
  }

  document.addEventListener("DOMContentLoaded", start);
  return { showState, command };
})();

document.addEventListener("DOMContentLoaded", () => Hotline.activate(document));
