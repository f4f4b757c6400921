// The template editor: a form per segment, the JSON kept in sync both ways, server-side
// validation shown next to each field, and the live preview fed from the same spec.
//
// The spec object is the one state. The form (template_form.js) is drawn from it; typing in
// a field writes that one value back, and actions (add, move, duplicate, remove) change it
// and redraw. Every change rewrites the JSON textarea, which is what the form posts, so the
// server's pydantic validation, role checks and CSRF stay the single judge. No third-party
// code; no inline scripts or styles (the CSP forbids them).

import { FormBuilder, Schema, h, idFor, optionLabel } from "./template_form.js";
import { TemplatePreview } from "./template_preview.js";

const VALIDATE_DELAY_MS = 400;

function getPath(obj, path) {
  return path.split(".").reduce((o, key) => (o == null ? undefined : o[key]), obj);
}

/** Set (or, with undefined, delete) obj at a dotted path, creating objects on the way. */
function setPath(obj, path, value) {
  const keys = path.split(".");
  let node = obj;
  keys.slice(0, -1).forEach((key) => {
    if (node[key] == null || typeof node[key] !== "object") node[key] = {};
    node = node[key];
  });
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
}

const clone = (value) => JSON.parse(JSON.stringify(value));

/** A copy of obj with `first` keys, then `order`'s, then the rest (the page's JSON is key-sorted). */
function ordered(obj, order, first = []) {
  const out = {};
  [...first, ...order, ...Object.keys(obj)].forEach((key) => { if (key in obj && !(key in out)) out[key] = obj[key]; });
  return out;
}

class TemplateEditor {
  constructor(root, options) {
    this.root = root;
    this.options = options;
    this.schema = new Schema(options.schema, options.field_order);
    this.form = root.querySelector("[data-template-form]");
    this.mount = root.querySelector("[data-form-root]");
    this.textarea = root.querySelector("[data-spec]");
    this.jsonPanel = root.querySelector("[data-json-panel]");
    this.summary = root.querySelector("[data-errors]");
    this.validity = root.querySelector("[data-validity]");
    this.announcer = root.querySelector("[data-announce]");
    this.paused = root.querySelector("[data-form-paused]");
    this.leadVars = {};
    this.errors = options.errors || [];
    this.seq = 0;
    this.timer = null;
    this.submitting = false;
    root.querySelectorAll("[data-server-error]").forEach((el) => el.remove());
    this.preview = new TemplatePreview(root, {
      specText: () => this.textarea.value,
      onLead: (data) => this.leadLoaded(data),
    });
    this.bind();
    this.fromJSON({ validate: false });
    this.showErrors(this.errors);
    // After a refused save nothing on the page is saved yet.
    this.saved = this.errors.length ? null : this.snapshot();
    if (this.errors.length) this.setValidity(`Not saved: ${this.errors.length} problem(s), see the marked fields.`, "bad");
    else this.scheduleValidate();
  }

  /** What "unsaved changes" compares: everything the form posts. */
  snapshot() {
    return JSON.stringify([...new FormData(this.form)].filter(([key]) => key !== "csrf_token"));
  }

  bind() {
    this.mount.addEventListener("input", (event) => this.onInput(event));
    this.mount.addEventListener("change", (event) => this.onChange(event));
    this.mount.addEventListener("click", (event) => this.onClick(event));
    this.textarea.addEventListener("input", () => this.fromJSON({ validate: true }));
    this.summary.addEventListener("click", (event) => this.jumpTo(event));
    this.form.addEventListener("submit", () => { this.submitting = true; });
    window.addEventListener("beforeunload", (event) => {
      if (!this.submitting && this.snapshot() !== this.saved) event.preventDefault();
    });
  }

  // -- state in -----------------------------------------------------------------------------
  /** Take the spec from the JSON textarea; while it does not parse, the form waits. */
  fromJSON({ validate }) {
    let parsed = null;
    try { parsed = JSON.parse(this.textarea.value); } catch { parsed = null; }
    const ok = parsed && typeof parsed === "object" && !Array.isArray(parsed);
    this.mount.disabled = !ok;
    this.paused.hidden = Boolean(ok);
    if (ok) {
      this.spec = parsed;
      this.render();
      this.preview.setSpec(this.spec);
    } else if (!this.spec) {
      this.spec = { segments: [] };
      this.render();
    }
    if (!ok) this.jsonPanel.open = true;
    if (validate) this.scheduleValidate();
  }

  readValue(el) {
    const kind = el.dataset.kind;
    if (kind === "bool") return el.checked;
    if (kind === "number") {
      // Sent as typed so the server names the problem next to this field.
      if (el.validity && el.validity.badInput) return "not a number";
      if (el.value.trim() === "") return el.dataset.nullable ? null : undefined;
      return Number(el.value);
    }
    if (el.dataset.path.endsWith(".asset_id") && el.value === "") return null;
    return el.value;
  }

  onInput(event) {
    const el = event.target;
    if (el.dataset.colorFor) return this.pickColor(el);
    if (!el.dataset.path || el.dataset.rerender !== undefined || el.dataset.kind === "type") return;
    setPath(this.spec, el.dataset.path, this.readValue(el));
    this.changed();
  }

  onChange(event) {
    const el = event.target;
    if (el.dataset.preset !== undefined) {
      const preset = this.options.presets.find((p) => p.key === el.value);
      if (!preset) return;
      this.spec.output = Object.assign({}, this.spec.output, { width: preset.width, height: preset.height });
      return this.changed({ render: true });
    }
    if (!el.dataset.path) return;
    if (el.dataset.kind === "type") {
      const index = Number(el.dataset.path.split(".")[1]);
      this.spec.segments[index] = this.convert(this.spec.segments[index], el.value);
      this.announce(`Segment ${index + 1} is now ${optionLabel("type", el.value)}.`);
      return this.changed({ render: true });
    }
    if (el.dataset.rerender === undefined) return;
    const path = el.dataset.path;
    setPath(this.spec, path, this.readValue(el));
    if (path.endsWith(".source")) {
      const image = this.options.media.find((m) => m.kind === "image");
      setPath(this.spec, path.replace(/source$/, "asset_id"), el.value === "image" && image ? image.id : null);
    }
    this.changed({ render: true });
  }

  pickColor(picker) {
    const input = document.getElementById(picker.dataset.colorFor);
    const alpha = input.value.includes("@") ? input.value.slice(input.value.indexOf("@")) : "";
    input.value = `${picker.value}${alpha}`;
    setPath(this.spec, input.dataset.path, input.value);
    this.changed();
  }

  /** A segment of another type: common fields kept, the new type's own from its blank. */
  convert(seg, type) {
    const blank = clone(this.options.blank_segments[type]);
    const keep = new Set(this.schema.keys(this.schema.segmentDef(type)));
    const out = Object.assign(blank, { type });
    Object.entries(seg).forEach(([key, value]) => { if (key !== "type" && keep.has(key)) out[key] = value; });
    return this.orderSegment(out);
  }

  orderSegment(seg) {
    return ordered(seg, this.schema.keys(this.schema.segmentDef(seg.type)), ["type", "id", "clip"]);
  }

  // -- actions ------------------------------------------------------------------------------
  onClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || !this.mount.contains(button)) return;
    const segments = this.spec.segments = Array.isArray(this.spec.segments) ? this.spec.segments : [];
    const i = Number(button.dataset.seg);
    const j = Number(button.dataset.text);
    const seg = segments[i];
    const texts = seg && typeof seg === "object" ? (seg.texts = Array.isArray(seg.texts) ? seg.texts : []) : [];
    const act = {
      "seg-add": () => {
        const type = button.dataset.addSegment;
        const clip = this.options.media.find((m) => m.kind === "clip");
        segments.push(this.orderSegment(Object.assign(clone(this.options.blank_segments[type]),
          { type, id: this.uniqueId(type), clip: clip ? clip.id : "" })));
        const n = segments.length;
        return [`Added segment ${n}, ${optionLabel("type", type)}.`, [`#${idFor(`segments.${n - 1}.type`)}`]];
      },
      "seg-up": () => this.move(segments, i, i - 1, "seg-up"),
      "seg-down": () => this.move(segments, i, i + 1, "seg-down"),
      "seg-duplicate": () => {
        const copy = clone(seg);
        if (copy && typeof copy === "object") copy.id = this.uniqueId(String(seg.id || seg.type || "segment"));
        segments.splice(i + 1, 0, copy);
        return [`Segment ${i + 1} duplicated as segment ${i + 2}.`, [`#${idFor(`segments.${i + 1}.type`)}`]];
      },
      "seg-remove": () => {
        segments.splice(i, 1);
        const k = Math.min(i, segments.length - 1);
        return [`Segment ${i + 1} removed.`, [`[data-action="seg-remove"][data-seg="${k}"]`, "[data-action=seg-add]"]];
      },
      "text-add": () => {
        texts.push(ordered(clone(this.options.blank_text), this.schema.keys("TextOverlay")));
        return [`Added text ${texts.length} to segment ${i + 1}.`, [`#${idFor(`segments.${i}.texts.${texts.length - 1}.text`)}`]];
      },
      "text-up": () => this.move(texts, j, j - 1, "text-up", i),
      "text-down": () => this.move(texts, j, j + 1, "text-down", i),
      "text-duplicate": () => {
        texts.splice(j + 1, 0, clone(texts[j]));
        return [`Text ${j + 1} duplicated.`, [`#${idFor(`segments.${i}.texts.${j + 1}.text`)}`]];
      },
      "text-remove": () => {
        texts.splice(j, 1);
        const k = Math.min(j, texts.length - 1);
        return [`Text ${j + 1} removed.`, [`[data-action="text-remove"][data-seg="${i}"][data-text="${k}"]`, `[data-action="text-add"][data-seg="${i}"]`]];
      },
      "insert-var": () => this.insertVariable(i, j, button.dataset.name),
    }[button.dataset.action];
    if (!act) return;
    const result = act();
    if (!result) return;
    const [message, focus] = result;
    this.errors = []; // their locs point at the old order; the new check follows
    this.changed({ render: true, focus });
    this.announce(message);
  }

  /** Swap list[index] and list[to]; focus follows the moved item's button (seg: for texts). */
  move(list, index, to, action, seg = null) {
    if (to < 0 || to >= list.length) return null;
    [list[index], list[to]] = [list[to], list[index]];
    const noun = seg == null ? "Segment" : "Text";
    const where = seg == null ? `[data-seg="${to}"]` : `[data-seg="${seg}"][data-text="${to}"]`;
    const other = action.endsWith("up") ? action.replace("up", "down") : action.replace("down", "up");
    return [`${noun} ${index + 1} moved to position ${to + 1}.`,
      [`[data-action="${action}"]${where}`, `[data-action="${other}"]${where}`]];
  }

  insertVariable(i, j, name) {
    const input = document.getElementById(idFor(`segments.${i}.texts.${j}.text`));
    if (!input) return null;
    const token = `{${name}}`;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? start;
    input.value = input.value.slice(0, start) + token + input.value.slice(end);
    input.focus();
    input.setSelectionRange(start + token.length, start + token.length);
    setPath(this.spec, input.dataset.path, input.value);
    this.changed();
    this.announce(`Inserted ${token}.`);
    return null;
  }

  uniqueId(base) {
    const used = new Set((this.spec.segments || []).map((s) => s && s.id));
    const stem = String(base).replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 56) || "segment";
    for (let n = 2; ; n += 1) {
      const id = used.has(stem) || /^(fullscreen|pip|audio_over_image)$/.test(stem) ? `${stem}_${n}` : stem;
      if (!used.has(id)) return id;
    }
  }

  // -- state out ----------------------------------------------------------------------------
  changed({ render = false, focus = null } = {}) {
    this.textarea.value = JSON.stringify(this.spec, null, 2);
    if (render) this.render(focus);
    this.preview.setSpec(this.spec);
    this.scheduleValidate();
  }

  /** Redraw the form; focus goes to the first of `focus` found, else back where it was. */
  render(focus = null) {
    const active = document.activeElement;
    const activeId = active && this.mount.contains(active) ? active.id : null;
    const open = [...this.mount.querySelectorAll("details[open][id]")].map((d) => d.id);
    const builder = new FormBuilder({ schema: this.schema, options: this.options, spec: this.spec, leadVars: this.leadVars });
    this.mount.replaceChildren(...builder.build());
    open.forEach((id) => { const d = document.getElementById(id); if (d) d.open = true; });
    this.showErrors(this.errors);
    const candidates = focus || (activeId ? [`#${CSS.escape(activeId)}`] : []);
    const target = candidates.map((sel) => this.mount.querySelector(sel)).find((el) => el && !el.disabled);
    if (target) target.focus();
  }

  leadLoaded(data) {
    const before = Object.keys(this.leadVars).join();
    this.leadVars = data.variables || {};
    if (Object.keys(this.leadVars).join() !== before) this.render();
  }

  announce(message) {
    this.announcer.textContent = "";
    window.setTimeout(() => { this.announcer.textContent = message; }, 50);
  }

  // -- validation ---------------------------------------------------------------------------
  scheduleValidate() {
    window.clearTimeout(this.timer);
    this.setValidity("Checking…", "busy");
    this.timer = window.setTimeout(() => this.validate(), VALIDATE_DELAY_MS);
  }

  async validate() {
    const seq = ++this.seq;
    let result;
    try {
      result = await LeadReel.fetchJSON(this.root.dataset.validateUrl, { method: "POST", body: { spec: this.textarea.value } });
    } catch (err) {
      if (seq === this.seq) this.setValidity(`Could not check the template (${err.message}); saving still checks it.`, "bad");
      return;
    }
    if (seq !== this.seq) return; // a newer check is on its way
    const before = this.errors.length;
    this.errors = Array.isArray(result.errors) ? result.errors : [];
    this.showErrors(this.errors);
    const count = this.errors.length;
    const text = count ? `${count} problem${count > 1 ? "s" : ""}: see the marked fields.` : "No problems found.";
    this.setValidity(text, count ? "bad" : "ok");
    // Screen readers hear a change of the count, not every check while typing.
    if (count !== before || (count && seq === 1)) this.announce(text);
  }

  setValidity(text, state) {
    this.validity.textContent = text;
    this.validity.dataset.state = state;
  }

  /** The element an error belongs to: the deepest [data-loc] on the error's path. */
  targetFor(loc) {
    const parts = loc ? String(loc).split(".") : [];
    for (let n = parts.length; n >= 0; n -= 1) {
      const el = this.root.querySelector(`[data-loc="${CSS.escape(parts.slice(0, n).join("."))}"]`);
      if (el) return el;
    }
    return null;
  }

  showErrors(errors) {
    this.root.querySelectorAll(".tf-error").forEach((el) => el.remove());
    this.root.querySelectorAll("[aria-invalid]").forEach((el) => {
      el.removeAttribute("aria-invalid");
      if (el.dataset.describedBase) el.setAttribute("aria-describedby", el.dataset.describedBase);
      else el.removeAttribute("aria-describedby");
    });
    this.summary.replaceChildren();
    errors.forEach((error, k) => {
      const target = this.targetFor(error.loc);
      const errorId = `tf-error-${k}`;
      let control = null;
      if (target) {
        const slot = target.querySelector(":scope > [data-error-slot]") || target;
        slot.append(h("p", { class: "tf-error", id: errorId }, error.message));
        control = target.matches(".tf-field, [data-loc='']") ? target.querySelector("input, select, textarea") : null;
        if (control) {
          if (!control.hasAttribute("aria-invalid")) control.dataset.describedBase = control.getAttribute("aria-describedby") || "";
          control.setAttribute("aria-invalid", "true");
          control.setAttribute("aria-describedby", `${control.dataset.describedBase} ${errorId}`.trim());
        }
        if (target.closest("[data-json-panel]")) this.jsonPanel.open = true;
      }
      const focusable = control || (target && target.querySelector("input, select, textarea, button"));
      const label = (target && target.dataset.label) || "Template";
      this.summary.append(h("li", {}, h("code", {}, error.loc || "template"), " ",
        focusable && focusable.id ? h("a", { href: `#${focusable.id}`, dataset: { focus: focusable.id } }, label) : label,
        `: ${error.message}`));
    });
  }

  jumpTo(event) {
    const link = event.target.closest("a[data-focus]");
    if (!link) return;
    event.preventDefault();
    const el = document.getElementById(link.dataset.focus);
    if (el) { el.scrollIntoView({ block: "center" }); el.focus(); }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector("[data-editor]");
  const data = document.getElementById("template-editor-data");
  if (root && data) window.LeadReelEditor = new TemplateEditor(root, JSON.parse(data.textContent));
});
