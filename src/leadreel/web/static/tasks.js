// Tasks page: poll the JSON summary and refresh the counts and batch bars in place.
// The page never waits on a task; if polling fails it just tries again later.
"use strict";

(function () {
  const root = document.querySelector("[data-tasks-summary]");
  if (!root) return;
  const url = root.dataset.tasksSummary;
  const stamp = document.querySelector("[data-tasks-updated]");

  function render(data) {
    for (const [type, byStatus] of Object.entries(data.counts || {})) {
      const row = root.querySelector(`tr[data-type="${CSS.escape(type)}"]`);
      if (!row) continue;
      for (const [status, n] of Object.entries(byStatus)) {
        const cell = row.querySelector(`[data-count="${status}"]`);
        if (cell) cell.textContent = n;
      }
    }
    for (const batch of data.batches || []) {
      const box = root.querySelector(`[data-batch="${batch.batch_id}"]`);
      if (!box) continue;
      const pct = Math.round(batch.progress * 100);
      const bar = box.querySelector(".progress");
      bar.setAttribute("aria-valuenow", pct);
      bar.firstElementChild.style.width = pct + "%";
    }
    if (stamp) stamp.textContent = "Updated " + new Date().toLocaleTimeString();
  }

  // Widths are set from script: the CSP forbids inline style attributes.
  for (const span of root.querySelectorAll(".progress > span[data-progress]")) {
    span.style.width = Math.round(parseFloat(span.dataset.progress || "0") * 100) + "%";
  }

  async function tick() {
    try {
      render(await window.LeadReel.fetchJSON(url));
    } catch (err) {
      if (stamp) stamp.textContent = "Update failed; retrying…";
    }
    setTimeout(tick, document.hidden ? 15000 : 3000);
  }
  setTimeout(tick, 3000);
})();
