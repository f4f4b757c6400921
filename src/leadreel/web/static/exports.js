// The Exports page: CSV-only options follow the format, the export form's preview follows
// the template, and unfinished exports poll their progress until the download link shows.
"use strict";

document.addEventListener("change", (event) => {
  if (event.target.name === "format") {
    const form = event.target.form;
    const csv = form.querySelector('input[name="format"]:checked').value === "csv";
    form.querySelectorAll("[data-csv-only]").forEach((el) => { el.hidden = !csv; });
  }
  if (event.target.id === "export-template") loadFormPreview();
});

async function loadFormPreview() {
  const box = document.querySelector("[data-preview]");
  const select = document.getElementById("export-template");
  if (!box || !select) return;
  const names = JSON.parse(box.dataset.templateNames);
  const columns = JSON.parse(box.dataset.templates)[names.indexOf(select.value)];
  try {
    const data = await window.LeadReel.fetchJSON(box.dataset.previewUrl, {
      method: "POST", body: { columns, selection: JSON.parse(box.dataset.selection) },
    });
    const table = document.createElement("table");
    table.className = "table preview-table";
    const head = table.createTHead().insertRow();
    data.headers.forEach((h) => { const th = document.createElement("th"); th.textContent = h; head.append(th); });
    const body = table.createTBody();
    data.rows.forEach((row) => { const tr = body.insertRow(); row.forEach((c) => { tr.insertCell().textContent = c; }); });
    box.replaceChildren(table);
  } catch (error) {
    box.textContent = error.message;
  }
}

async function pollExports() {
  const table = document.querySelector("[data-testid=exports-table]");
  if (!table) return;
  const open = [...table.querySelectorAll('tr[data-status="queued"], tr[data-status="running"]')];
  if (!open.length) return;
  const ids = open.map((tr) => tr.dataset.exportId).join(",");
  try {
    const data = await window.LeadReel.fetchJSON(`${table.dataset.statusUrl}?ids=${ids}`);
    data.exports.forEach((e) => {
      const tr = table.querySelector(`tr[data-export-id="${e.id}"]`);
      if (!tr) return;
      tr.dataset.status = e.status;
      const pill = tr.querySelector('[data-role="status"]');
      pill.textContent = e.status;
      pill.className = `pill pill-${e.status}`;
      const bar = tr.querySelector('[data-role="progress"] span');
      if (bar) bar.style.width = `${Math.round(e.progress * 100)}%`;
      if (e.status === "done" || e.status === "failed") {
        const progress = tr.querySelector('[data-role="progress"]');
        if (progress) progress.remove();
        tr.querySelector('[data-role="rows"]').textContent = e.rows.toLocaleString();
      }
      if (e.download_url) {
        const link = Object.assign(document.createElement("a"), { className: "btn btn-small", href: e.download_url, textContent: "Download" });
        link.dataset.testid = "download";
        tr.querySelector('[data-role="download"]').replaceChildren(link);
      }
      if (e.error) pill.title = e.error;
    });
  } catch (error) { /* try again on the next tick */ }
  setTimeout(pollExports, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-progress]").forEach((bar) => { bar.style.width = `${Math.round(Number(bar.dataset.progress) * 100)}%`; });
  pollExports();
  loadFormPreview();
});
