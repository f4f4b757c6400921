// Videos list page: "select all matching" and the progress of runs being prepared.
// Video rows themselves are polled by videos.js. No third-party code, no inline script.
"use strict";

(() => {
  // -- select all matching ------------------------------------------------------------------
  function rowBoxes() {
    return [...document.querySelectorAll('tbody input[type="checkbox"][name="lead_ids"]')];
  }

  function showMatching(box) {
    const total = Number(box.dataset.total || 0).toLocaleString();
    document.querySelectorAll("[data-selection-count]").forEach((el) => {
      el.textContent = `all ${total} matching leads selected`;
    });
    document.querySelectorAll("[data-needs-selection]").forEach((el) => { el.disabled = false; });
  }

  // Registered after app.js's listener (deferred scripts run in order), so this text wins.
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
    } else if (event.target.matches('input[type="checkbox"]') && !event.target.checked) {
      matching.checked = false; // unticking a row means "not all of them"
    }
    if (matching.checked) showMatching(matching);
  });

  // -- runs being prepared ------------------------------------------------------------------
  function pollRuns() {
    const cards = [...document.querySelectorAll('[data-run-id][data-run-status="preparing"]')];
    if (!cards.length) return;
    const url = cards[0].dataset.runsUrl;
    const ids = cards.map((el) => el.dataset.runId).join(",");
    async function poll() {
      try {
        const data = await LeadReel.fetchJSON(`${url}?runs=${encodeURIComponent(ids)}`);
        let finished = false;
        data.runs.forEach((run) => {
          const card = document.querySelector(`[data-run-id="${run.id}"]`);
          if (!card) return;
          const text = card.querySelector('[data-role="run-text"]');
          if (text) {
            text.textContent = `Preparing ${run.total.toLocaleString()} render(s)… ` +
              `${run.processed.toLocaleString()} of ${run.total.toLocaleString()} leads handled.`;
          }
          const bar = card.querySelector("[data-progress]");
          if (bar) {
            const value = run.total ? Math.min(1, run.processed / run.total) : 0;
            bar.style.width = `${Math.round(value * 100)}%`;
          }
          if (run.status !== "preparing") finished = true;
        });
        if (finished) { window.location.reload(); return; } // the new renders become rows
      } catch (err) {
        console.warn("run poll failed", err);
      }
      setTimeout(poll, 1500);
    }
    setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const matching = document.querySelector("[data-select-matching]");
    if (matching && matching.checked) showMatching(matching);
    pollRuns();
  });
})();
