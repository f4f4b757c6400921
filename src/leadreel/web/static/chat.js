// The assistant panel: sends a message with the page's current selection, reads the answer
// as JSON lines while it streams, and shows plans with a Confirm button. Self-contained: a
// page includes templates/chat/_panel.html and this file. A page may set
// `panel.chatSelection = () => ({lead_ids: [...]})` to say what is selected; by default the
// ticked `input[name="lead_ids"]` boxes, else the panel's data-chat-filter, are sent.
// After a confirmed plan it fires `leadreel:leads-changed` on document so the page refreshes.
"use strict";

(() => {
  function pageSelection(panel) {
    if (typeof panel.chatSelection === "function") return panel.chatSelection();
    const ids = [...document.querySelectorAll('input[name="lead_ids"]:checked')].map((b) => Number(b.value));
    if (ids.length) return { lead_ids: ids };
    try { return JSON.parse(panel.dataset.chatFilter || "{}"); } catch (_) { return {}; }
  }

  function describeSelection(selection) {
    if (selection.lead_ids && selection.lead_ids.length) return `${selection.lead_ids.length} selected`;
    const parts = [];
    if (selection.batch_id) parts.push("batch filter");
    if (selection.q) parts.push(`“${selection.q}”`);
    if (selection.status || selection.video_status) parts.push("status filter");
    return parts.length ? `filter: ${parts.join(", ")}` : "nothing selected";
  }

  function add(log, role, text) {
    const div = document.createElement("div");
    div.className = `chat-msg chat-${role}`;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function toolLine(log, event) {
    const div = add(log, "tool", `${event.tool}: ${event.status}${event.message ? " — " + event.message : ""}`);
    div.dataset.tool = event.tool;
    div.dataset.status = event.status;
  }

  function planCard(panel, log, plan) {
    const card = document.createElement("div");
    card.className = "chat-plan";
    card.dataset.testid = "chat-plan";
    const text = document.createElement("p");
    text.textContent = `Plan: ${plan.plan}`;
    const ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn btn-primary btn-small";
    ok.textContent = "Confirm";
    ok.dataset.chatConfirm = "";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-small";
    cancel.textContent = "Cancel";
    card.append(text, ok, cancel);
    log.appendChild(card);
    log.scrollTop = log.scrollHeight;
    cancel.addEventListener("click", () => { card.remove(); add(log, "assistant", "Cancelled; nothing changed."); });
    ok.addEventListener("click", async () => {
      ok.disabled = cancel.disabled = true;
      const body = { token: plan.token, selection: pageSelection(panel), conversation_id: panel.conversationId || null };
      try {
        const data = await window.LeadReel.fetchJSON(panel.dataset.confirmUrl, { method: "POST", body });
        card.classList.add("chat-plan-done");
        add(log, "assistant", data.reply);
        document.dispatchEvent(new CustomEvent("leadreel:leads-changed", { detail: data }));
      } catch (err) {
        add(log, "error", (err.data && err.data.reply) || err.message);
      }
    });
  }

  async function send(panel, message) {
    const log = panel.querySelector("[data-chat-log]");
    const button = panel.querySelector("[data-chat-send]");
    add(log, "user", message);
    const bubble = add(log, "assistant", "…");
    bubble.classList.add("chat-streaming");
    button.disabled = true;
    let streamed = "";
    const handle = (event) => {
      if (event.type === "text") { streamed += event.text; bubble.textContent = streamed; }
      else if (event.type === "tool") toolLine(log, event);
      else if (event.type === "done") {
        panel.conversationId = event.conversation_id;
        bubble.textContent = event.reply;
        log.appendChild(bubble);
        (event.pending || []).forEach((plan) => planCard(panel, log, plan));
      } else if (event.type === "error") { bubble.textContent = event.message; bubble.classList.add("chat-error"); }
      log.scrollTop = log.scrollHeight;
    };
    try {
      const response = await fetch(panel.dataset.messageUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/x-ndjson", "X-CSRFToken": window.LeadReel.csrfToken() },
        body: JSON.stringify({ message, selection: pageSelection(panel), conversation_id: panel.conversationId || null }),
      });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        throw new Error(data.message || response.statusText);
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let index;
        while ((index = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, index);
          buffer = buffer.slice(index + 1);
          if (line.trim()) handle(JSON.parse(line));
        }
      }
    } catch (err) {
      bubble.textContent = `The assistant could not answer: ${err.message}`;
      bubble.classList.add("chat-error");
    } finally {
      bubble.classList.remove("chat-streaming");
      button.disabled = false;
    }
  }

  // Beside a table the panel can fold into a small button (remembered per browser), so the
  // table gets the width on a laptop screen.
  function foldable(panel) {
    const layout = panel.closest(".with-chat");
    const toggle = panel.querySelector("[data-chat-toggle]");
    if (!layout || !toggle) return;
    const KEY = "leadreel.chat.folded";
    const set = (folded) => {
      layout.classList.toggle("chat-folded", folded);
      toggle.textContent = folded ? "Assistant" : "Hide";
      toggle.setAttribute("aria-expanded", String(!folded));
    };
    const saved = window.localStorage.getItem(KEY);
    set(saved === "1");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const folded = !layout.classList.contains("chat-folded");
      window.localStorage.setItem(KEY, folded ? "1" : "0");
      set(folded);
      if (!folded) panel.querySelector("textarea")?.focus();
    });
  }

  function init(panel) {
    foldable(panel);
    if (panel.dataset.conversationId) panel.conversationId = Number(panel.dataset.conversationId);
    const scope = panel.querySelector("[data-chat-scope]");
    const refresh = () => { scope.textContent = describeSelection(pageSelection(panel)); };
    document.addEventListener("change", refresh);
    refresh();
    const form = panel.querySelector("[data-chat-form]");
    const box = form.querySelector("textarea");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const message = box.value.trim();
      if (!message) return;
      box.value = "";
      send(panel, message);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
    });
  }

  document.addEventListener("DOMContentLoaded", () => document.querySelectorAll("[data-chat]").forEach(init));
})();
