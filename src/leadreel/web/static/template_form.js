// The template editor's form, built from the pydantic model's JSON schema.
// Which fields a segment type has, their choices, limits and defaults come from the schema
// (and the server's blank models), so a field added to templates.py shows up here on its
// own; this file only decides labels, hints and a few special widgets (clips, images,
// transitions, colors, the output preset). Rendering is pure: spec in, DOM out; the
// editor (template_editor.js) owns the state and the events.

// Fields drawn by their own part of a card rather than in the field grid.
const OWN_PARTS = new Set(["type", "id", "texts", "transition"]);

// Looked up as "Def.key", then "segment.key" for any segment type, then "key".
const LABELS = {
  "type": "Shot", "id": "Segment ID", "clip": "Presenter clip", "segment.duration": "Duration (s)",
  "fade_in": "Fade in (s)", "fade_out": "Fade out (s)", "PipSegment.size": "Presenter size",
  "margin": "Margin (px)", "circle": "Circle mask", "background": "Background", "image": "Image",
  "zoom": "Slow zoom", "text": "Text", "color": "Text color", "box": "Box behind the text",
  "box_color": "Box color", "TextOverlay.size": "Text size", "start": "Show from (s)",
  "end": "Show until (s)", "fps": "Frames per second", "Transition.duration": "Length (s)",
  "ShareSettings.headline": "Headline", "ShareSettings.message": "Message",
  "ShareSettings.cta_label": "Button label", "ShareSettings.cta_url": "Button link",
};

const HINTS = {
  "id": "Letters, digits, - and _; names the segment in errors.",
  "segment.duration": "Empty: the clip's whole length.",
  "PipSegment.size": "Share of the video width (0.3 = 30%).",
  "PipSegment.margin": "Distance from the frame's edges, in output pixels.",
  "AudioOverImageSegment.zoom": "0 = still; 0.1 = ends 10% zoomed in.",
  "TextOverlay.size": "Share of the video height (0.06 = 6%).",
  "TextOverlay.end": "Empty: until the segment ends.",
  "color": "A name or #RRGGBB, optionally @opacity (black@0.5).",
  "Transition.duration": "The two segments overlap this long.",
};

function lookup(table, defName, key) {
  const generic = defName && defName.endsWith("Segment") ? table[`segment.${key}`] : undefined;
  return table[`${defName}.${key}`] ?? generic ?? table[key];
}

const OPTION_LABELS = {
  type: { fullscreen: "Fullscreen presenter", pip: "Picture-in-picture", audio_over_image: "Voice over an image" },
  position: {
    tl: "Top left", tr: "Top right", bl: "Bottom left", br: "Bottom right",
    top: "Top", center: "Center", bottom: "Bottom", top_left: "Top left", top_right: "Top right",
    bottom_left: "Bottom left", bottom_right: "Bottom right",
  },
  source: {
    website_scroll: "Website, scrolling top to bottom", website: "Website (top of the page)",
    ads: "Ads page", image: "An image from the media library",
  },
};

const STEPS = { size: 0.01, zoom: 0.01, margin: 1, fps: 1 };
const COMMON_TRANSITIONS = ["fade", "dissolve", "fadeblack", "fadewhite", "wipeleft", "slideleft", "circleopen", "zoomin"];

export const idFor = (path) => `tf-${path.replace(/\./g, "-")}`;

function humanize(value) {
  const text = String(value).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function optionLabel(key, value) {
  return (OPTION_LABELS[key] && OPTION_LABELS[key][value]) || humanize(value);
}

export function seconds(value) {
  return value == null ? "" : `${Number(value).toFixed(1)} s`;
}

/** A tiny element builder: attributes (class, dataset, on/off booleans) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  Object.entries(attrs).forEach(([key, value]) => {
    if (value == null || value === false) return;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.entries(value).forEach(([k, v]) => { if (v != null) el.dataset[k] = v; });
    else el.setAttribute(key, value === true ? "" : String(value));
  });
  children.flat(Infinity).forEach((child) => { if (child != null && child !== false) el.append(child); });
  return el;
}

/** Lookups in the template's JSON schema; `order` lists each definition's fields in order. */
export class Schema {
  constructor(json, order = {}) { this.defs = json.$defs || {}; this.order = order; }

  /** The $defs name of a segment type ("pip" -> "PipSegment"). */
  segmentDef(type) {
    return Object.keys(this.defs).find((name) => {
      const tag = ((this.defs[name].properties || {}).type || {}).const;
      return tag === type;
    });
  }

  /** A property with anyOf-null folded in: {type, enum, minimum, ..., nullable, ref}. */
  prop(defName, key) {
    const raw = ((this.defs[defName] || {}).properties || {})[key];
    if (!raw) return null;
    const branches = raw.anyOf || [raw];
    const main = branches.find((b) => b.type !== "null") || {};
    const ref = main.$ref ? main.$ref.split("/").pop() : null;
    return Object.assign({}, main, raw, { nullable: branches.some((b) => b.type === "null"), ref });
  }

  keys(defName) { return this.order[defName] || Object.keys((this.defs[defName] || {}).properties || {}); }
}

/** Builds the form's DOM; ctx = {schema, options, spec, leadVars (the preview lead's values)}. */
export class FormBuilder {
  constructor(ctx) {
    Object.assign(this, ctx);
    this.clips = ctx.options.media.filter((m) => m.kind === "clip");
    this.images = ctx.options.media.filter((m) => m.kind === "image");
  }

  build() {
    const spec = this.spec;
    const segments = Array.isArray(spec.segments) ? spec.segments : [];
    return [
      this.output(spec.output && typeof spec.output === "object" ? spec.output : {}),
      this.share(spec.share && typeof spec.share === "object" ? spec.share : {}),
      h("section", { class: "tf-segments", "data-loc": "segments", "aria-labelledby": "tf-segments-title", "data-label": "Segments" },
        h("h2", { id: "tf-segments-title" }, `Segments `, h("span", { class: "count" }, String(segments.length))),
        h("div", { class: "tf-error-slot", "data-error-slot": "" }),
        segments.map((seg, i) => this.segment(seg, i, segments.length)),
        this.addSegmentBar()),
    ];
  }

  // -- output -----------------------------------------------------------------------------
  output(out) {
    const width = out.width ?? 1280; const height = out.height ?? 720;
    const preset = this.options.presets.find((p) => p.width === width && p.height === height);
    const select = h("select", { id: "tf-output", dataset: { preset: "" }, "aria-describedby": "tf-output-hint" },
      this.options.presets.map((p) => h("option", { value: p.key }, p.label)),
      preset ? null : h("option", { value: "custom" }, `Custom · ${width} × ${height} (set in the JSON)`));
    select.value = preset ? preset.key : "custom";
    // The resolution field takes the "output" loc, so output.width / .height errors land on it.
    return h("fieldset", { class: "tf-sub tf-output" },
      h("legend", {}, "Output"),
      h("div", { class: "tf-grid" },
        h("div", { class: "tf-field tf-span2", "data-loc": "output", "data-label": "Output › Resolution" },
          h("label", { for: "tf-output" }, "Resolution"), select,
          h("p", { class: "tf-hint", id: "tf-output-hint" }, "Square and vertical suit social feeds."),
          h("div", { class: "tf-error-slot", "data-error-slot": "" })),
        this.field("OutputSpec", "fps", out, "output", "Output › Frames per second")));
  }

  // -- the prospect's share page (every field from the ShareSettings schema) ------------
  share(share) {
    return h("fieldset", { class: "tf-sub tf-share", "data-loc": "share", "data-label": "Share page" },
      h("legend", {}, "Share page"),
      h("p", { class: "tf-hint" }, "What the prospect's page shows around the video. Variables work here too: {company_name|you}."),
      h("div", { class: "tf-grid" },
        this.schema.keys("ShareSettings").map((key) => {
          const text = lookup(LABELS, "ShareSettings", key) || humanize(key);
          return this.field("ShareSettings", key, share, "share", `Share page › ${text}`);
        })));
  }

  // -- a segment card ---------------------------------------------------------------------
  segment(seg, i, count) {
    const path = `segments.${i}`;
    const n = i + 1;
    if (!seg || typeof seg !== "object" || Array.isArray(seg)) {
      return h("fieldset", { class: "tf-seg", id: idFor(path), "data-loc": path, "data-label": `Segment ${n}` },
        h("legend", {}, `Segment ${n}`), this.segmentTools(i, count),
        h("div", { class: "tf-error-slot", "data-error-slot": "" }),
        h("p", { class: "muted" }, "This entry is not a segment object; edit it in Advanced (JSON)."));
    }
    const defName = this.schema.segmentDef(seg.type);
    const typeName = defName ? optionLabel("type", seg.type) : `Unknown type “${seg.type ?? ""}”`;
    const label = `Segment ${n}`;
    const fields = defName ? this.schema.keys(defName).filter((k) => !OWN_PARTS.has(k)) : [];
    return h("fieldset", { class: `tf-seg tf-seg-${seg.type}`, id: idFor(path), "data-loc": path, "data-label": label },
      h("legend", {}, h("span", { class: "tf-seg-num" }, String(n)), ` ${typeName}`,
        seg.id ? h("span", { class: "tf-seg-id" }, ` · ${seg.id}`) : null),
      this.segmentTools(i, count),
      h("div", { class: "tf-error-slot", "data-error-slot": "" }),
      h("div", { class: "tf-grid" },
        this.typeField(seg, path, label),
        this.textField("id", seg, path, `${label} › ID`),
        fields.map((key) => this.segmentField(defName, key, seg, path, label))),
      defName ? this.transition(seg, path, label, i === count - 1) : null,
      defName ? this.texts(seg, path, label) : null);
  }

  segmentTools(i, count) {
    const n = i + 1;
    const button = (action, text, aria, disabled = false) => h("button", {
      type: "button", class: "btn btn-small", dataset: { action, seg: String(i) },
      "aria-label": aria, disabled: disabled || null,
    }, text);
    return h("div", { class: "tf-tools", role: "group", "aria-label": `Segment ${n} actions` },
      button("seg-up", "↑ Up", `Move segment ${n} up`, i === 0),
      button("seg-down", "↓ Down", `Move segment ${n} down`, i === count - 1),
      button("seg-duplicate", "Duplicate", `Duplicate segment ${n}`),
      button("seg-remove", "Remove", `Remove segment ${n}`, count === 1));
  }

  typeField(seg, path, label) {
    const types = this.options.segment_types;
    const select = h("select", { id: idFor(`${path}.type`), dataset: { path: `${path}.type`, kind: "type" } },
      types.map((t) => h("option", { value: t }, optionLabel("type", t))),
      types.includes(seg.type) ? null : h("option", { value: String(seg.type ?? "") }, `Unknown: ${seg.type ?? "(none)"}`));
    select.value = String(seg.type ?? "");
    return this.wrap(`${path}.type`, `${label} › Shot`, LABELS.type, select);
  }

  segmentField(defName, key, seg, path, label) {
    const prop = this.schema.prop(defName, key);
    const text = lookup(LABELS, defName, key) || prop.title || humanize(key);
    const sub = `${label} › ${text}`;
    if (key === "clip") return this.mediaField(`${path}.clip`, seg.clip, this.clips, sub, text, "clip");
    if (prop.ref && this.schema.keys(prop.ref).includes("source")) return this.sourceField(prop.ref, key, seg, path, sub, text);
    const field = this.field(defName, key, seg, path, sub);
    if (key === "duration") {
      const clip = this.findMedia(this.clips, seg.clip);
      const input = field.querySelector("input");
      if (input && clip && clip.duration) input.placeholder = `${Number(clip.duration).toFixed(1)} (clip length)`;
    }
    return field;
  }

  // -- generic fields from the schema ------------------------------------------------------
  /** A field for obj[key] at `${base}.${key}`, its widget chosen from the schema property. */
  field(defName, key, obj, base, label, text = null) {
    const prop = this.schema.prop(defName, key) || {};
    const path = `${base}.${key}`;
    const id = idFor(path);
    const value = obj[key];
    text = text || lookup(LABELS, defName, key) || prop.title || humanize(key);
    const hint = lookup(HINTS, defName, key) || prop.description || null;
    if (prop.enum) {
      const select = h("select", { id, dataset: { path, kind: "enum", rerender: "" } },
        prop.enum.map((v) => h("option", { value: v }, optionLabel(key, v))),
        value == null || prop.enum.includes(value) ? null : h("option", { value: String(value) }, String(value)));
      select.value = value == null ? String(prop.default ?? prop.enum[0]) : String(value);
      return this.wrap(path, label, text, select, hint);
    }
    if (prop.type === "boolean") {
      const box = h("input", { type: "checkbox", id, dataset: { path, kind: "bool", rerender: "" } });
      box.checked = value == null ? Boolean(prop.default) : Boolean(value);
      return this.wrap(path, label, text, box, hint, true);
    }
    if (prop.type === "number" || prop.type === "integer") {
      const input = h("input", {
        type: "number", id, inputmode: prop.type === "integer" ? "numeric" : "decimal",
        min: prop.minimum ?? prop.exclusiveMinimum, max: prop.maximum ?? prop.exclusiveMaximum,
        step: STEPS[key] || (prop.type === "integer" ? 1 : 0.1),
        placeholder: prop.default != null ? String(prop.default) : null,
        dataset: { path, kind: "number", nullable: prop.nullable ? "1" : null },
      });
      input.value = value == null ? "" : String(value);
      return this.wrap(path, label, text, input, hint);
    }
    if (prop.type === "string") {
      if (/color$/.test(key)) return this.colorField(path, value ?? prop.default ?? "", label, text, hint);
      return this.textField(key, obj, base, label, prop, text);
    }
    return this.wrap(path, label, text, h("p", { class: "muted", id }, "Edit this field in Advanced (JSON)."));
  }

  textField(key, obj, base, label, prop = {}, text = null) {
    const path = `${base}.${key}`;
    const input = h("input", { type: "text", id: idFor(path), maxlength: prop.maxLength, dataset: { path, kind: "string" }, autocomplete: "off" });
    input.value = obj[key] == null ? "" : String(obj[key]);
    return this.wrap(path, label, text || LABELS[key] || humanize(key), input, HINTS[key]);
  }

  colorField(path, value, label, text, hint) {
    const id = idFor(path);
    const input = h("input", { type: "text", id, dataset: { path, kind: "string" }, autocomplete: "off", spellcheck: "false" });
    input.value = String(value);
    const picker = h("input", { type: "color", class: "tf-swatch", dataset: { colorFor: id }, "aria-label": `${label}: pick a color` });
    picker.value = cssHex(String(value).split("@")[0]);
    return this.wrap(path, label, text, h("div", { class: "tf-color" }, input, picker), hint, false, id);
  }

  findMedia(list, ref) {
    return list.find((m) => m.id === String(ref)) || list.find((m) => m.name === ref) || null;
  }

  /** A select of media-library assets; an unknown reference stays selectable so nothing is lost. */
  mediaField(path, ref, list, label, text, kind) {
    const id = idFor(path);
    const byName = ref != null && !list.some((m) => m.id === String(ref)) ? this.findMedia(list, ref) : null;
    const select = h("select", { id, dataset: { path, kind: "string", rerender: "" } },
      h("option", { value: "" }, list.length ? `Choose a ${kind}…` : `No ${kind}s in the media library`),
      list.map((m) => h("option", { value: m.id }, m.duration ? `${m.name} · ${seconds(m.duration)}` : m.name)),
      ref && !list.some((m) => m.id === String(ref))
        ? h("option", { value: String(ref) }, byName ? `${byName.name} (by name)` : `${ref} (not in the media library)`)
        : null);
    select.value = ref == null ? "" : String(ref);
    return this.wrap(path, label, text, select);
  }

  /** background / image: a source choice, plus the asset when the source is an image. */
  sourceField(defName, key, seg, path, label, text) {
    const obj = seg[key] && typeof seg[key] === "object" ? seg[key] : {};
    const base = `${path}.${key}`;
    const parts = [this.field(defName, "source", obj, base, `${label} › Source`, text)];
    if (obj.source === "image" || obj.asset_id) {
      parts.push(this.mediaField(`${base}.asset_id`, obj.asset_id, this.images, `${label} › Image`, "Image asset", "image"));
    }
    return h("div", { class: "tf-group tf-span2", "data-loc": base, "data-label": label },
      h("div", { class: "tf-pair" }, parts), h("div", { class: "tf-error-slot", "data-error-slot": "" }));
  }

  // -- transition ------------------------------------------------------------------------
  transition(seg, path, label, isLast) {
    const tr = seg.transition && typeof seg.transition === "object" ? seg.transition : {};
    const base = `${path}.transition`;
    const type = tr.type ?? "none";
    const box = h("fieldset", { class: "tf-sub", "data-loc": base, "data-label": `${label} › Transition` },
      h("legend", {}, "Transition to the next segment"),
      h("div", { class: "tf-error-slot", "data-error-slot": "" }));
    if (isLast && type === "none") {
      box.append(h("p", { class: "sub" }, "This is the last segment: the video ends here."));
      return box;
    }
    const all = this.options.transitions;
    const rest = all.filter((t) => !COMMON_TRANSITIONS.includes(t));
    const select = h("select", { id: idFor(`${base}.type`), dataset: { path: `${base}.type`, kind: "string", rerender: "" } },
      h("option", { value: "none" }, "Cut (no transition)"),
      h("optgroup", { label: "Common" }, COMMON_TRANSITIONS.filter((t) => all.includes(t)).map((t) => h("option", { value: t }, t))),
      h("optgroup", { label: "More xfade effects" }, rest.map((t) => h("option", { value: t }, t))),
      type === "none" || all.includes(type) ? null : h("option", { value: String(type) }, `${type} (unknown)`));
    select.value = String(type);
    const grid = h("div", { class: "tf-grid" },
      this.wrap(`${base}.type`, `${label} › Transition`, "Effect", select,
        isLast ? "The last segment must end with a cut." : null));
    if (type !== "none") {
      grid.append(this.field("Transition", "duration", tr, base, `${label} › Transition length`));
    }
    box.append(grid);
    return box;
  }

  // -- text overlays ----------------------------------------------------------------------
  texts(seg, path, label) {
    const texts = Array.isArray(seg.texts) ? seg.texts : [];
    const i = Number(path.split(".")[1]);
    return h("fieldset", { class: "tf-sub tf-texts", "data-loc": `${path}.texts`, "data-label": `${label} › Texts` },
      h("legend", {}, `Texts over this segment (${texts.length})`),
      h("div", { class: "tf-error-slot", "data-error-slot": "" }),
      texts.map((text, j) => this.text(text, `${path}.texts.${j}`, `${label} › Text ${j + 1}`, i, j, texts.length)),
      h("button", { type: "button", class: "btn btn-small", dataset: { action: "text-add", seg: String(i) } }, "+ Add text"));
  }

  text(text, path, label, i, j, count) {
    if (!text || typeof text !== "object") {
      return h("div", { class: "tf-text", "data-loc": path, "data-label": label },
        h("p", { class: "muted" }, "Not a text object; edit it in Advanced (JSON)."));
    }
    const button = (action, content, aria, disabled = false) => h("button", {
      type: "button", class: "btn btn-small", dataset: { action, seg: String(i), text: String(j) },
      "aria-label": aria, disabled: disabled || null,
    }, content);
    const keys = this.schema.keys("TextOverlay").filter((k) => k !== "text" && !(k === "box_color" && text.box === false));
    return h("fieldset", { class: "tf-text", "data-loc": path, "data-label": label, id: idFor(path) },
      h("legend", {}, `Text ${j + 1}`),
      h("div", { class: "tf-tools", role: "group", "aria-label": `${label} actions` },
        button("text-up", "↑", `Move text ${j + 1} up`, j === 0),
        button("text-down", "↓", `Move text ${j + 1} down`, j === count - 1),
        button("text-duplicate", "Duplicate", `Duplicate text ${j + 1}`),
        button("text-remove", "Remove", `Remove text ${j + 1}`)),
      h("div", { class: "tf-error-slot", "data-error-slot": "" }),
      h("div", { class: "tf-grid" },
        this.overlayText(text, path, label, i, j),
        keys.map((key) => this.field("TextOverlay", key, text, path, `${label} › ${lookup(LABELS, "TextOverlay", key) || humanize(key)}`))));
  }

  overlayText(text, path, label, i, j) {
    const field = this.textField("text", text, path, `${label} › Text`, this.schema.prop("TextOverlay", "text"));
    field.classList.add("tf-wide");
    const names = [...new Set([...this.options.variables, ...Object.keys(this.leadVars || {})])];
    const chips = names.map((name) => h("button", {
      type: "button", class: "tf-chip", dataset: { action: "insert-var", seg: String(i), text: String(j), name },
      title: this.leadVars && this.leadVars[name] ? `This lead: ${this.leadVars[name]}` : null,
      "aria-label": `Insert {${name}}`,
    }, `{${name}}`));
    const id = `${idFor(path)}-vars`;
    field.append(h("details", { class: "tf-vars", id },
      h("summary", {}, "Insert a lead variable"),
      h("div", { class: "tf-chips" }, chips),
      h("p", { class: "tf-hint" }, "Add a fallback for leads without a value: {first_name|there} reads “there” when the first name is empty.")));
    return field;
  }

  // -- bits -------------------------------------------------------------------------------
  /** A labelled field wrapper: the loc errors are placed by, a hint and an error slot. */
  wrap(path, fullLabel, text, control, hint = null, inline = false, controlId = null) {
    const id = controlId || control.id;
    const hintId = hint ? `${id}-hint` : null;
    const target = control.matches("input, select, textarea") ? control : control.querySelector("input, select, textarea");
    if (hintId && target) target.setAttribute("aria-describedby", hintId);
    const label = h("label", { for: id, class: inline ? "check" : null }, inline ? [control, ` ${text}`] : text);
    return h("div", { class: "tf-field", "data-loc": path, "data-label": fullLabel },
      label, inline ? null : control,
      hint ? h("p", { class: "tf-hint", id: hintId }, hint) : null,
      h("div", { class: "tf-error-slot", "data-error-slot": "" }));
  }

  addSegmentBar() {
    return h("div", { class: "tf-add", role: "group", "aria-label": "Add a segment" },
      h("span", { class: "sub" }, "Add a segment:"),
      this.options.segment_types.map((type) => h("button", {
        type: "button", class: "btn btn-small", dataset: { action: "seg-add", addSegment: type },
      }, `+ ${optionLabel("type", type)}`)));
  }
}

/** #rrggbb for a CSS color name or hex, for the color picker (alpha is kept in the text). */
export function cssHex(value) {
  const ctx = cssHex.ctx || (cssHex.ctx = document.createElement("canvas").getContext("2d"));
  ctx.fillStyle = "#000000";
  ctx.fillStyle = /^[0-9A-Fa-f]{6}$/.test(value) ? `#${value}` : value;
  const out = ctx.fillStyle;
  return /^#[0-9a-f]{6}$/i.test(out) ? out : "#000000";
}
