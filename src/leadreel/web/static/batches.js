// Batches page: progress bars painted and refreshed without a reload.
"use strict";

(() => {
  function setBar(span, value) {
    span.style.width = `${Math.round(Math.max(0, Math.min(1, Number(value) || 0)) * 100)}%`;
  }
  async function poll(list) {
    try {
      const data = await LeadReel.fetchJSON(list.dataset.progressUrl);
      data.batches.forEach((b) => {
        const card = list.querySelector(`[data-batch-id="${b.id}"]`);
        if (!card) return;
        ["screenshots", "renders", "uploads"].forEach((name) => {
          setBar(card.querySelector(`[data-role="${name}"]`), b[name]);
          card.querySelector(`[data-role="${name}-pct"]`).textContent = `${Math.round(b[name] * 100)}%`;
        });
        card.querySelector('[data-role="failed"]').textContent = b.failed;
        card.querySelector('[data-role="leads"]').textContent = b.leads.toLocaleString();
      });
    } catch (err) {
      console.warn("batch poll failed", err);
    }
    setTimeout(() => poll(list), 4000);
  }
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-progress]").forEach((s) => setBar(s, s.dataset.progress));
    const list = document.querySelector("[data-progress-url]");
    if (list) setTimeout(() => poll(list), 4000);
  });
})();
