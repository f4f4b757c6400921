// Leads overview: select all matching, row progress polling, bulk task banners, keyboard.
// Our own code only (no third-party JS, no inline script): see templates/leads/index.html.
"use strict";

(() => {
  const rowBoxes = () => [...document.querySelectorAll('tbody input[type="checkbox"][name="lead_ids"]')];
  const rows = () => [...document.querySelectorAll("tbody tr[data-lead-id]")];

  function setBar(span, value) {
    span.style.width = `${Math.round(Math.max(0, Math.min(1, Number(value) || 0)) * 100)}%`;
  }
  function paintBars(root) {
    root.querySelectorAll("[data-progress]").forEach((span) => setBar(span, span.dataset.progress));
  }

  // -- select all matching ------------------------------------------------------------------
  function showMatching(box) {
    document.querySelectorAll("[data-selection-count]").forEach((el) => {
      el.textContent = `all ${box.dataset.total} matching leads selected`;
    });
    document.querySelectorAll("[data-needs-selection]").forEach((el) => { el.disabled = false; });
  }
  document.addEventListener("change", (event) => {
    const matching = document.querySelector("[data-select-matching]");
    if (!matching) return;
    if (event.target === matching) {
      rowBoxes().forEach((box) => { box.checked = matching.checked; });
      const all = document.querySelector("[data-select-all]");
      if (all) all.checked = matching.checked;
      if (!matching.checked) {
        document.querySelectorAll("[data-selection-count]").forEach((el) => { el.textContent = ""; });
        document.querySelectorAll("[data-needs-selection]").forEach((el) => { el.disabled = true; });
      }
    } else if (event.target.matches('tbody input[type="checkbox"]') && !event.target.checked) {
      matching.checked = false;
    }
    if (matching.checked) showMatching(matching);
  });

  // -- row progress -------------------------------------------------------------------------
  const STEPS = ["screenshot", "render", "upload"];
  function applyProgress(p) {
    const tr = document.querySelector(`tr[data-lead-id="${p.lead_id}"]`);
    if (!tr) return;
    tr.dataset.active = p.active ? "1" : "0";
    const cell = tr.querySelector('[data-role="progress"]');
    if (cell) {
      cell.title = p.error || "";
      STEPS.forEach((name) => {
        const el = cell.querySelector(`[data-step="${name}"]`);
        if (el) {
          el.className = `step step-${p[name] || "none"}`;
          el.title = `${name}: ${p[name] || "not started"}`;
        }
      });
      const pill = cell.querySelector('[data-role="video-status"]');
      if (pill) {
        pill.textContent = p.video_status || "no video";
        pill.className = `pill pill-${p.video_status || "none"}`;
      }
      const bar = cell.querySelector(".progress");
      if (bar) {
        bar.hidden = !p.active;
        setBar(bar.querySelector("span"), p.fraction);
      }
      const err = cell.querySelector('[data-role="error"]');
      if (err) err.textContent = p.error || "";
    }
    const views = tr.querySelector('[data-role="views"]');
    if (views) views.textContent = p.video_id ? String(p.views) : "";
  }

  function pollRows() {
    const table = document.querySelector("[data-progress-url]");
    if (!table) return;
    let quiet = 0;
    async function refresh() {
      const ids = rows().map((tr) => tr.dataset.leadId);
      if (!ids.length || document.visibilityState === "hidden") return;
      try {
        const data = await LeadReel.fetchJSON(`${table.dataset.progressUrl}?ids=${ids.join(",")}`);
        data.leads.forEach(applyProgress);
        quiet = data.leads.some((p) => p.active) ? 0 : quiet + 1;
      } catch (err) {
        console.warn("progress poll failed", err);
      }
    }
    async function poll() {
      await refresh();
      // Every 2 s while something moves (or just after a click), slower when all is still.
      setTimeout(poll, quiet > 15 ? 10000 : 2000);
    }
    setTimeout(poll, 1500);
    // The assistant started something on these leads: show it now, then poll fast again.
    document.addEventListener("leadreel:leads-changed", () => { quiet = 0; refresh(); });
  }

  // -- bulk task banners --------------------------------------------------------------------
  function pollTasks() {
    document.querySelectorAll("[data-bulk-task]").forEach((card) => {
      async function poll() {
        try {
          const t = await LeadReel.fetchJSON(card.dataset.url);
          card.dataset.status = t.status;
          const pill = card.querySelector('[data-role="status"]');
          pill.textContent = t.status;
          pill.className = `pill pill-${t.status}`;
          setBar(card.querySelector("[data-progress]"), t.status === "succeeded" ? 1 : t.progress);
          const undo = card.querySelector('[data-role="undo"]');
          if (undo && !t.undo_until) undo.hidden = true;
          const link = card.querySelector('[data-role="download"]');
          if (link && t.download) { link.href = t.download; link.hidden = false; }
          card.querySelector('[data-role="error"]').textContent = t.error || "";
          if (["pending", "running"].includes(t.status)) setTimeout(poll, 1500);
        } catch (err) {
          console.warn("bulk poll failed", err);
        }
      }
      if (["pending", "running"].includes(card.dataset.status)) setTimeout(poll, 1000);
    });
  }

  // -- keyboard -----------------------------------------------------------------------------
  let current = -1;
  function focusRow(index) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((tr, i) => tr.classList.toggle("current", i === current));
    all[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.matches("input, textarea, select, [contenteditable]");
    if (event.key === "Escape" && typing) { target.blur(); return; }
    if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === "/") {
      const search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (event.key === "j") {
      focusRow(current + 1);
    } else if (event.key === "k") {
      focusRow(current - 1);
    } else if (event.key === "x" && current >= 0) {
      const box = rows()[current].querySelector('input[type="checkbox"]');
      if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
    } else if (event.key === "Enter" && current >= 0) {
      const link = rows()[current].querySelector('[data-role="open"]');
      if (link) link.click();
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.matches("[data-history-back]")) { event.preventDefault(); history.back(); }
    // One drop-down panel at a time; a click outside closes it.
    document.querySelectorAll("details.more-filters[open], details.column-chooser[open]").forEach((d) => {
      if (!d.contains(event.target)) d.open = false;
    });
  });

  document.addEventListener("DOMContentLoaded", () => {
    paintBars(document);
    const matching = document.querySelector("[data-select-matching]");
    if (matching && matching.checked) showMatching(matching);
    pollRows();
    pollTasks();
  });
})();
