// The leads overview: when the assistant (or anything else) changes leads, refresh the rows
// in place (ticks kept) so new render statuses show without a reload.
"use strict";

document.addEventListener("leadreel:leads-changed", async () => {
  const table = document.querySelector('[data-testid="leads-table"] tbody');
  if (!table) return;
  const checked = new Set([...table.querySelectorAll('input[name="lead_ids"]:checked')].map((b) => b.value));
  const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = doc.querySelector('[data-testid="leads-table"] tbody');
  if (!fresh) return;
  fresh.querySelectorAll('input[name="lead_ids"]').forEach((box) => { box.checked = checked.has(box.value); });
  table.replaceWith(fresh);
});
