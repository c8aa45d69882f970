// The supervisor's wallboard: the board is fetched again every few seconds (not while an action runs), and
// its buttons call the API's endpoints (the login cookie authenticates them); the answer or the API's
// reason is shown above the board.
"use strict";

(() => {
  const board = document.getElementById("board");
  const result = document.getElementById("action-result");
  let busy = false;

  async function refresh() {
    if (busy) return;
    const response = await fetch(board.dataset.board, { credentials: "same-origin" });
    if (response.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return; }
    if (response.ok && !busy) board.innerHTML = await response.text();
  }

  function request(button) {
    const act = button.dataset.act;
    const agent = encodeURIComponent(button.dataset.agent || "");
    const call = encodeURIComponent(button.dataset.call || "");
    const value = (id) => document.getElementById(id).value.trim();
    if (act === "pause") return [`/api/agents/${agent}/pause`, { reason: value("force-reason") }];
    if (act === "ready" || act === "logout") return [`/api/agents/${agent}/${act}`, {}];
    if (act === "listen") return [`/api/supervision/calls/${call}/listen`, { endpoint: value("my-phone"), mode: button.dataset.mode }];
    if (act === "transfer") return [`/api/supervision/calls/${call}/transfer`, { extension: value("transfer-to") }];
    if (act === "hang-up") return [`/api/supervision/calls/${call}/hang-up`, {}];
    if (act === "release") return [`/api/callbacks/${encodeURIComponent(button.dataset.ticket)}/release`, {}];
    return null;
  }

  function reason(answer, response) {
    const detail = answer.detail;
    if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(-1)[0]}: ${d.msg}`).join("; ");
    return detail || response.statusText;
  }

  board.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-act]");
    if (!button) return;
    const [url, body] = request(button) || [];
    if (!url) return;
    busy = true;
    button.disabled = true;
    result.className = "muted";
    try {
      const response = await fetch(url, {
        method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      result.className = response.ok ? "notice" : "problem";
      result.textContent = response.ok ? `${button.textContent}: ${board.dataset.done || "OK"}` : reason(answer, response);
      result.dataset.status = String(response.status);
    } finally {
      busy = false;
      await refresh();
    }
  });

  setInterval(refresh, 1000 * (parseFloat(board.dataset.refresh) || 3));
})();
