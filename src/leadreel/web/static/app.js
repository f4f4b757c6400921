// LeadReel's small bit of JavaScript: confirmations, auto-submitting selects, and a fetch helper
// that sends the CSRF token. Page-specific scripts add themselves through data attributes.
"use strict";

window.LeadReel = {
  csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  async fetchJSON(url, options = {}) {
    const opts = Object.assign({ headers: {} }, options);
    opts.headers = Object.assign({ Accept: "application/json", "X-CSRFToken": this.csrfToken() }, opts.headers);
    if (opts.body && typeof opts.body !== "string" && !(opts.body instanceof FormData)) {
      opts.body = JSON.stringify(opts.body);
      opts.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(url, opts);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { data, status: response.status });
    return data;
  },
};

document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});

// Row selection on tables: "select all" and the count next to bulk buttons.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-select-all]")) {
    const table = event.target.closest("table");
    table.querySelectorAll('tbody input[type="checkbox"]').forEach((box) => { box.checked = event.target.checked; });
  }
  if (event.target.matches('input[type="checkbox"]')) updateSelectionCount();
});

function updateSelectionCount() {
  const count = document.querySelectorAll('tbody input[type="checkbox"][name="lead_ids"]:checked').length;
  document.querySelectorAll("[data-selection-count]").forEach((el) => { el.textContent = count ? `${count} selected` : ""; });
  document.querySelectorAll("[data-needs-selection]").forEach((el) => { el.disabled = count === 0; });
}
document.addEventListener("DOMContentLoaded", updateSelectionCount);

// Copy buttons: <button data-copy="#id-of-input-or-text">: the share link or email snippet.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const text = "value" in source ? source.value : source.textContent;
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    button.dataset.copied = "1";
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => { source.select && source.select(); });
  } else if (source.select) {
    source.select();
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
  }
});
