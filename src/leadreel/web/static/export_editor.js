// The export template editor: ordered columns (drag, or keyboard on the handle), duplicate,
// delete, and a live preview of the first rows of the current selection. The server
// validates everything on save; this script only keeps the columns as JSON.
"use strict";

(function () {
  const root = document.getElementById("export-editor");
  if (!root) return;
  const template = JSON.parse(root.dataset.template);
  const catalog = JSON.parse(root.dataset.catalog);
  const selection = JSON.parse(root.dataset.selection || "{}");
  const editable = root.dataset.editable === "1";
  const list = root.querySelector('[data-role="columns"]');
  const rowTemplate = document.getElementById("column-row");
  const nameInput = root.querySelector('[data-role="name"]');
  const preview = root.querySelector('[data-role="preview"]');
  const status = document.getElementById("move-status");
  const labels = Object.fromEntries(catalog.map((f) => [f.key, f.label]));
  let columns = template.columns.map((c) => Object.assign({ kind: "field" }, c));
  let dragging = null;
  let previewTimer = null;
  nameInput.value = template.name || "";

  function fieldSelect(value) {
    const select = document.createElement("select");
    select.dataset.role = "value";
    select.setAttribute("aria-label", "Field");
    const groups = {};
    catalog.forEach((f) => { (groups[f.group] = groups[f.group] || []).push(f); });
    Object.entries(groups).forEach(([group, fields]) => {
      const og = document.createElement("optgroup");
      og.label = group;
      fields.forEach((f) => og.append(new Option(`${f.label} (${f.key})`, f.key, false, f.key === value)));
      select.append(og);
    });
    if (value && !labels[value]) select.append(new Option(`unknown: ${value}`, value, true, true));
    return select;
  }

  function sourceControl(column) {
    if (column.kind === "field") return fieldSelect(column.field);
    const input = document.createElement("input");
    input.type = "text";
    input.dataset.role = "value";
    input.setAttribute("aria-label", column.kind === "fixed" ? "Fixed value" : "Format");
    input.placeholder = column.kind === "fixed" ? "Same text on every row" : "{first_name|there} from {company_name}";
    input.value = column.kind === "fixed" ? column.value || "" : column.format || "";
    return input;
  }

  function render(focusIndex) {
    list.replaceChildren();
    columns.forEach((column, index) => {
      const li = rowTemplate.content.firstElementChild.cloneNode(true);
      li.dataset.index = index;
      li.querySelector('[data-role="kind"]').value = column.kind;
      li.querySelector('[data-role="source"]').append(sourceControl(column));
      li.querySelector('[data-role="header"]').value = column.header || "";
      li.querySelector('[data-role="handle"]').setAttribute("aria-label", `Move column ${index + 1} (${column.header || "no header"}) with the arrow keys`);
      if (!editable) {
        li.draggable = false;
        li.querySelectorAll("input, select, button").forEach((el) => { el.disabled = true; });
        li.querySelector(".row-buttons").hidden = true;
      }
      list.append(li);
    });
    root.querySelector('[data-role="column-count"]').textContent = `(${columns.length})`;
    if (focusIndex !== undefined && list.children[focusIndex]) {
      list.children[focusIndex].querySelector('[data-role="handle"]').focus();
    }
    schedulePreview();
  }

  function move(from, to) {
    if (to < 0 || to >= columns.length || from === to) return;
    const [column] = columns.splice(from, 1);
    columns.splice(to, 0, column);
    status.textContent = `${column.header || "Column"} moved to position ${to + 1} of ${columns.length}`;
    render(to);
  }

  function indexOf(el) { return Number(el.closest(".column-row").dataset.index); }

  list.addEventListener("input", (event) => {
    const i = indexOf(event.target);
    const column = columns[i];
    const role = event.target.dataset.role;
    if (role === "header") column.header = event.target.value;
    if (role === "value") {
      if (column.kind === "field") {
        const old = labels[column.field];
        column.field = event.target.value;
        if (!column.header || column.header === old || column.header === column.field) column.header = labels[column.field] || column.field;
        list.children[i].querySelector('[data-role="header"]').value = column.header;
      } else if (column.kind === "fixed") column.value = event.target.value;
      else column.format = event.target.value;
    }
    if (role === "kind") {
      const header = column.header;
      columns[i] = event.target.value === "field" ? { kind: "field", field: "first_name", header }
        : event.target.value === "fixed" ? { kind: "fixed", value: "", header } : { kind: "format", format: "", header };
      render();
      return;
    }
    schedulePreview();
  });

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const i = indexOf(button);
    const action = button.dataset.action;
    if (action === "up") move(i, i - 1);
    if (action === "down") move(i, i + 1);
    if (action === "duplicate") { columns.splice(i + 1, 0, Object.assign({}, columns[i])); render(i + 1); }
    if (action === "delete") {
      if (columns.length === 1) { message("A template needs at least one column.", true); return; }
      columns.splice(i, 1);
      render(Math.min(i, columns.length - 1));
    }
  });

  list.addEventListener("keydown", (event) => {
    if (!editable || event.target.dataset.role !== "handle") return;
    const i = indexOf(event.target);
    if (event.key === "ArrowUp") { event.preventDefault(); move(i, i - 1); }
    if (event.key === "ArrowDown") { event.preventDefault(); move(i, i + 1); }
    if (event.key === "Home") { event.preventDefault(); move(i, 0); }
    if (event.key === "End") { event.preventDefault(); move(i, columns.length - 1); }
  });

  list.addEventListener("dragstart", (event) => {
    const row = event.target.closest(".column-row");
    if (!row || !editable) return;
    dragging = Number(row.dataset.index);
    row.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", String(dragging));
  });
  list.addEventListener("dragover", (event) => {
    if (dragging === null) return;
    event.preventDefault();
    list.querySelectorAll(".drop-before, .drop-after").forEach((el) => el.classList.remove("drop-before", "drop-after"));
    const row = event.target.closest(".column-row");
    if (!row) return;
    const rect = row.getBoundingClientRect();
    row.classList.add(event.clientY < rect.top + rect.height / 2 ? "drop-before" : "drop-after");
  });
  list.addEventListener("drop", (event) => {
    if (dragging === null) return;
    event.preventDefault();
    const row = event.target.closest(".column-row");
    let to = columns.length - 1;
    if (row) {
      const rect = row.getBoundingClientRect();
      to = Number(row.dataset.index) + (event.clientY < rect.top + rect.height / 2 ? 0 : 1);
      if (to > dragging) to -= 1;
    }
    const from = dragging;
    dragging = null;
    move(from, to);
  });
  list.addEventListener("dragend", () => {
    dragging = null;
    list.querySelectorAll(".dragging, .drop-before, .drop-after").forEach((el) => el.classList.remove("dragging", "drop-before", "drop-after"));
  });

  function message(text, isError) {
    const el = root.querySelector('[data-role="message"]');
    if (!el) return;
    el.textContent = text;
    el.className = isError ? "error" : "muted";
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(loadPreview, 300);
  }

  async function loadPreview() {
    try {
      const data = await window.LeadReel.fetchJSON(root.dataset.previewUrl, {
        method: "POST", body: { columns, selection },
      });
      renderPreview(preview, data.headers, data.rows);
    } catch (error) {
      preview.replaceChildren(Object.assign(document.createElement("p"), { className: "error", textContent: error.message }));
    }
  }

  const saveButton = root.querySelector('[data-action="save"]');
  const addButton = root.querySelector('[data-action="add"]');
  if (addButton) addButton.addEventListener("click", () => {
    columns.push({ kind: "field", field: "email", header: "Email" });
    render(columns.length - 1);
  });
  if (saveButton) saveButton.addEventListener("click", async () => {
    saveButton.disabled = true;
    try {
      const data = await window.LeadReel.fetchJSON(root.dataset.saveUrl, {
        method: "POST", body: { id: template.id, name: nameInput.value, columns },
      });
      template.id = data.id;
      message(`Saved “${data.name}”.`, false);
      if (window.location.pathname !== data.edit_url) window.history.replaceState(null, "", data.edit_url);
    } catch (error) {
      message(error.message, true);
    } finally {
      saveButton.disabled = false;
    }
  });

  render();
})();

function renderPreview(container, headers, rows) {
  const table = document.createElement("table");
  table.className = "table preview-table";
  const head = table.createTHead().insertRow();
  headers.forEach((h) => { const th = document.createElement("th"); th.textContent = h; head.append(th); });
  const body = table.createTBody();
  rows.forEach((row) => {
    const tr = body.insertRow();
    row.forEach((cell) => { tr.insertCell().textContent = cell; });
  });
  if (!rows.length) {
    const td = body.insertRow().insertCell();
    td.colSpan = headers.length || 1;
    td.textContent = "No leads to preview.";
  }
  container.replaceChildren(table);
}
window.renderExportPreview = renderPreview;
