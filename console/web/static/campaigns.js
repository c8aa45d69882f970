// The desk's outbound panel (#outbound): reloaded when the live stream brings the agent a preview or a new
// state (a call ended: its result code is due); digits 1-9 pick a result code, Enter saves it.
"use strict";

(() => {
  const panel = () => document.getElementById("outbound");

  function reload(seq) {
    if (panel()) Hotline.load(panel(), "/agent/outbound" + (seq ? "?seq=" + seq : ""));
  }

  document.addEventListener("hotline:event", (event) => {
    const e = event.detail;
    if (e.agent_id !== document.body.dataset.agent) return;
    if (e.kind === "preview") reload(e.seq);
    else if (e.kind === "agent_state" && !["ringing", "talking"].includes(e.payload.state)) reload();
  });

  document.addEventListener("keydown", (event) => {
    const form = document.getElementById("result-form");
    if (!form || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.matches("input[type=text], input:not([type]), textarea, select")) return;
    const choice = form.querySelector(`input[data-key="${event.key}"]`);
    if (choice) { choice.checked = true; choice.focus(); event.preventDefault(); }
  });
})();
