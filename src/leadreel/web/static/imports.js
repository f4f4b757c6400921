// Import page: live progress. Polls the batch's JSON status once a second while it is
// queued or running, updates the bar and the counts, and reloads once when it ends.
"use strict";

(function () {
  const box = document.getElementById("import-status");
  if (!box) return;
  const bar = box.querySelector('[data-role="bar"]');
  const percent = box.querySelector('[data-role="percent"]');
  const pill = box.querySelector('[data-role="status"]');
  const error = box.querySelector('[data-role="error"]');
  const active = (s) => s === "queued" || s === "running";

  function show(progress) {
    const pct = Math.round(progress * 100);
    bar.style.width = pct + "%";
    percent.textContent = pct + "%";
    box.querySelector(".progress").setAttribute("aria-valuenow", String(pct));
  }

  show(parseFloat(bar.dataset.progress || "0"));
  if (!active(box.dataset.status)) return;

  async function poll() {
    try {
      const data = await window.LeadReel.fetchJSON(box.dataset.statusUrl);
      show(data.progress || 0);
      pill.textContent = data.status;
      pill.className = "pill pill-" + data.status;
      for (const [key, value] of Object.entries(data.counts || {})) {
        const cell = document.querySelector('[data-count="' + key + '"]');
        if (cell) cell.textContent = value;
      }
      if (data.error) { error.textContent = data.error; error.hidden = false; }
      if (!active(data.status)) { window.location.reload(); return; }
    } catch (err) {
      error.textContent = "Lost contact with the server; retrying…";
      error.hidden = false;
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
