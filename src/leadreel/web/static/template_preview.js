// The template editor's live preview: composes one lead's video on a canvas from a spec.
// Moved here from videos.js (whose copy no page runs any more: the editor page, the only one
// with [data-editor], no longer loads videos.js), so the editor hands it a spec object
// instead of it parsing and validating a textarea of its own.
// No third-party code; the CSP forbids inline scripts and styles.
export function renderText(text, vars) {
  // Same rules as templates.render_text: {name} or {name|fallback}.
  return text.replace(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}|]{0,60}))?\}/g, (token, name, fallback) => {
    if (token === "{{") return "{";
    if (token === "}}") return "}";
    const value = vars[name] == null ? "" : String(vars[name]).trim();
    return value || fallback || "";
  });
}

function splitColor(value) {
  const [color, alpha] = String(value || "white").split("@");
  return { color: /^[0-9A-Fa-f]{6,8}$/.test(color) ? `#${color}` : color, alpha: alpha ? parseFloat(alpha) : 1 };
}

export class TemplatePreview {
  /**
   * root holds the stage and its controls and the data-lead-url / data-preview-url.
   * specText() gives the JSON a real preview renders; onLead(data) hears of each lead loaded.
   */
  constructor(root, { specText, onLead = () => {} }) {
    this.root = root;
    this.specText = specText;
    this.onLead = onLead;
    this.canvas = root.querySelector("[data-stage]");
    this.ctx = this.canvas.getContext("2d");
    this.scrub = root.querySelector("[data-scrub]");
    this.timeLabel = root.querySelector("[data-time]");
    this.segLabel = root.querySelector("[data-segment-label]");
    this.leadSelect = root.querySelector("[data-lead-select]");
    this.data = { variables: {}, images: {}, assets: [], company: "" };
    this.images = {}; this.clips = {}; this.spec = null; this.t = 0; this.playing = false;
    this.bind();
    this.loadLead();
  }

  bind() {
    this.scrub.addEventListener("input", () => { this.t = this.total() * this.scrub.value / 1000; this.draw(true); });
    this.root.querySelector("[data-play]").addEventListener("click", (e) => this.toggle(e.target));
    if (this.leadSelect) this.leadSelect.addEventListener("change", () => this.loadLead());
    this.root.querySelector("[data-render-preview]").addEventListener("click", () => this.renderReal());
  }

  /** Show a new spec (an object, as the editor holds it). */
  setSpec(spec) {
    this.spec = spec && typeof spec === "object" ? spec : null;
    const out = (this.spec && this.spec.output) || {};
    const w = out.width || 1280; const h = out.height || 720;
    this.canvas.width = 640; this.canvas.height = Math.max(1, Math.round(640 * h / w));
    if (this.t > this.total()) this.t = this.total();
    this.ensureMedia();
    this.draw(true);
  }

  async loadLead() {
    if (!this.leadSelect || !this.leadSelect.value) return;
    const url = this.root.dataset.leadUrl.replace(/\/0\.json$/, `/${this.leadSelect.value}.json`);
    try { this.data = await LeadReel.fetchJSON(url); } catch (err) { console.warn(err); return; }
    this.images = {};
    Object.entries(this.data.images).forEach(([key, src]) => {
      const img = new Image(); img.onload = () => this.draw(true); img.src = src; this.images[key] = img;
    });
    const vars = this.root.querySelector("[data-variables]");
    if (vars) {
      vars.textContent = Object.entries(this.data.variables)
        .filter(([, v]) => v).map(([k, v]) => `{${k}} = ${v}`).join(", ");
    }
    this.ensureMedia();
    this.draw(true);
    this.onLead(this.data);
  }

  asset(ref) {
    return this.data.assets.find((a) => a.id === String(ref)) || this.data.assets.find((a) => a.name === ref);
  }

  ensureMedia() {
    if (!this.spec || !Array.isArray(this.spec.segments)) return;
    this.spec.segments.forEach((seg) => {
      if (!seg || typeof seg !== "object") return;
      const clip = this.asset(seg.clip);
      if (clip && !this.clips[clip.id]) {
        const v = document.createElement("video");
        v.muted = true; v.preload = "auto"; v.playsInline = true; v.src = clip.url;
        v.addEventListener("seeked", () => { if (!this.playing) this.draw(); });
        v.addEventListener("loadeddata", () => this.draw(true));
        this.clips[clip.id] = v;
      }
      const ref = (seg.background && seg.background.asset_id) || (seg.image && seg.image.asset_id);
      const still = ref && this.asset(ref);
      if (still && !this.images[`asset:${still.id}`]) {
        const img = new Image(); img.onload = () => this.draw(true); img.src = still.url;
        this.images[`asset:${still.id}`] = img;
      }
    });
  }

  duration(seg) {
    const clip = this.asset(seg.clip);
    return seg.duration || (clip && clip.duration) || 3;
  }

  timeline() {
    let start = 0;
    const segments = this.spec && Array.isArray(this.spec.segments) ? this.spec.segments : [];
    return segments.filter((seg) => seg && typeof seg === "object").map((seg) => {
      const dur = this.duration(seg);
      const tr = seg.transition && seg.transition.type && seg.transition.type !== "none" ? (seg.transition.duration || 0.5) : 0;
      const item = { seg, start, dur, tr };
      start += dur - tr;
      return item;
    });
  }

  total() {
    const items = this.timeline();
    return items.length ? items[items.length - 1].start + items[items.length - 1].dur : 0;
  }

  toggle(button) {
    this.playing = !this.playing;
    button.textContent = this.playing ? "Pause" : "Play";
    if (!this.playing) { Object.values(this.clips).forEach((v) => v.pause()); return; }
    if (this.t >= this.total()) this.t = 0;
    let last = performance.now();
    const step = (now) => {
      if (!this.playing) return;
      this.t += (now - last) / 1000; last = now;
      if (this.t >= this.total()) { this.t = this.total(); this.toggle(button); }
      this.draw(true);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  draw(seek = false) {
    const { ctx, canvas } = this;
    ctx.globalAlpha = 1; ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    const items = this.timeline();
    const total = this.total();
    this.scrub.value = total ? Math.round(1000 * this.t / total) : 0;
    this.timeLabel.textContent = `${this.t.toFixed(1)} s / ${total.toFixed(1)} s`;
    const active = items.filter((it) => this.t >= it.start && this.t < it.start + it.dur);
    if (!active.length && items.length && this.t >= total) active.push(items[items.length - 1]);
    const used = new Set();
    active.forEach((it, index) => {
      let alpha = 1;
      if (index > 0) { const prev = active[index - 1]; alpha = Math.min(1, (this.t - it.start) / (prev.tr || 1)); }
      ctx.save(); ctx.globalAlpha = alpha;
      const clip = this.asset(it.seg.clip);
      const video = clip && this.clips[clip.id];
      const local = Math.min(this.t - it.start, it.dur - 0.001);
      if (video) { used.add(video); this.sync(video, local, seek); }
      this.drawSegment(it.seg, local, it.dur, video);
      ctx.restore();
    });
    Object.values(this.clips).forEach((v) => { if (!used.has(v) && !v.paused) v.pause(); });
    const current = active[active.length - 1];
    this.segLabel.textContent = current ? `Segment ${current.seg.id || ""} (${current.seg.type})` : "";
  }

  sync(video, local, seek) {
    const target = video.duration ? Math.min(local, video.duration - 0.05) : local;
    if (this.playing) {
      if (Math.abs(video.currentTime - target) > 0.3) video.currentTime = target;
      if (video.paused) video.play().catch(() => {});
    } else if (seek && video.readyState >= 1 && Math.abs(video.currentTime - target) > 0.04) {
      video.currentTime = target;
    }
  }

  cover(img, x, y, w, h, zoom = 1) {
    const iw = img.naturalWidth || img.videoWidth; const ih = img.naturalHeight || img.videoHeight;
    if (!iw || !ih) return false;
    const scale = Math.max(w / iw, h / ih) * zoom;
    const dw = iw * scale; const dh = ih * scale;
    this.ctx.drawImage(img, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh);
    return true;
  }

  still(source, assetId) {
    const key = { website_scroll: "website", website: "website_viewport", ads: "ads" }[source];
    if (source === "image") { const a = this.asset(assetId); return a && this.images[`asset:${a.id}`]; }
    return this.images[key] || (source !== "ads" && (this.images.website || this.images.website_viewport));
  }

  card() {
    const { ctx, canvas } = this;
    const grad = ctx.createLinearGradient(0, 0, 0, canvas.height);
    grad.addColorStop(0, "#1e3a8a"); grad.addColorStop(1, "#111827");
    ctx.fillStyle = grad; ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#fff"; ctx.font = `bold ${Math.round(canvas.height * 0.1)}px sans-serif`;
    ctx.textBaseline = "middle";
    ctx.fillText(this.data.company || this.data.variables.company_name || "Title card", canvas.width * 0.1, canvas.height / 2);
  }

  drawSegment(seg, local, dur, video) {
    const { ctx, canvas } = this;
    const W = canvas.width; const H = canvas.height;
    const outW = (this.spec.output && this.spec.output.width) || 1280;
    const k = W / outW;
    if (seg.type === "fullscreen") {
      if (!video || !this.cover(video, 0, 0, W, H)) this.placeholder("clip");
    } else if (seg.type === "pip") {
      const bg = seg.background || { source: "website_scroll" };
      const img = this.still(bg.source, bg.asset_id);
      if (img && bg.source === "website_scroll" && img.naturalWidth) {
        const scale = W / img.naturalWidth; const travel = Math.max(0, img.naturalHeight * scale - H);
        ctx.drawImage(img, 0, -travel * (local / dur), W, img.naturalHeight * scale);
      } else if (!img || !this.cover(img, 0, 0, W, H)) this.card();
      const pw = W * (seg.size || 0.3);
      const ratio = video && video.videoWidth ? video.videoHeight / video.videoWidth : 9 / 16;
      const ph = seg.circle ? pw : pw * ratio;
      const m = (seg.margin == null ? 24 : seg.margin) * k;
      const pos = seg.position || "br";
      const x = pos.endsWith("l") ? m : W - pw - m; const y = pos.startsWith("t") ? m : H - ph - m;
      ctx.save();
      ctx.beginPath();
      if (seg.circle) ctx.arc(x + pw / 2, y + ph / 2, pw / 2, 0, Math.PI * 2); else ctx.rect(x, y, pw, ph);
      ctx.clip();
      if (!video || !this.cover(video, x, y, pw, ph)) { ctx.fillStyle = "#16a34a"; ctx.fillRect(x, y, pw, ph); }
      ctx.restore();
    } else {
      const im = seg.image || { source: "ads" };
      const img = this.still(im.source, im.asset_id);
      if (!img || !this.cover(img, 0, 0, W, H, 1 + (seg.zoom || 0) * (local / dur))) this.card();
    }
    (Array.isArray(seg.texts) ? seg.texts : []).forEach((text) => text && this.drawText(text, local, dur, W, H));
    const fadeIn = seg.fade_in || 0; const fadeOut = seg.fade_out || 0;
    let black = 0;
    if (fadeIn && local < fadeIn) black = 1 - local / fadeIn;
    if (fadeOut && local > dur - fadeOut) black = Math.max(black, (local - (dur - fadeOut)) / fadeOut);
    if (black > 0) { ctx.save(); ctx.globalAlpha *= black; ctx.fillStyle = "#000"; ctx.fillRect(0, 0, W, H); ctx.restore(); }
  }

  drawText(text, local, dur, W, H) {
    if (local < (text.start || 0) || local >= (text.end == null ? dur + 1 : text.end)) return;
    const { ctx } = this;
    const value = renderText(String(text.text || ""), this.data.variables || {});
    if (!value) return;
    const size = Math.max(8, (text.size || 0.06) * H);
    ctx.save();
    ctx.font = `${Math.round(size)}px "DejaVu Sans", sans-serif`;
    ctx.textBaseline = "top";
    const tw = ctx.measureText(value).width; const pad = size * 0.3; const m = H * 0.05;
    const pos = text.position || "bottom";
    let x = (W - tw) / 2; let y = (H - size) / 2;
    if (pos.startsWith("top")) y = m; else if (pos.startsWith("bottom")) y = H - size - m;
    if (pos.endsWith("left")) x = m; else if (pos.endsWith("right")) x = W - tw - m;
    if (text.box !== false) {
      const box = splitColor(text.box_color || "black@0.5");
      ctx.globalAlpha *= box.alpha; ctx.fillStyle = box.color;
      ctx.fillRect(x - pad, y - pad, tw + 2 * pad, size + 2 * pad);
      ctx.globalAlpha /= box.alpha || 1;
    }
    const color = splitColor(text.color || "white");
    ctx.globalAlpha *= color.alpha; ctx.fillStyle = color.color;
    ctx.fillText(value, x, y);
    ctx.restore();
  }

  placeholder(what) {
    const { ctx, canvas } = this;
    ctx.fillStyle = "#334155"; ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#cbd5e1"; ctx.font = "16px sans-serif"; ctx.fillText(`(${what} loading)`, 12, 24);
  }

  async renderReal() {
    const status = this.root.querySelector("[data-render-status]");
    const player = this.root.querySelector("[data-render-result]");
    if (!this.leadSelect || !this.leadSelect.value) { status.textContent = "Choose a lead first."; return; }
    status.textContent = "Queued…"; player.hidden = true;
    let started;
    try {
      started = await LeadReel.fetchJSON(this.root.dataset.previewUrl, { method: "POST", body: { spec: this.specText(), lead_id: this.leadSelect.value } });
    } catch (err) { status.textContent = err.message; return; }
    const poll = async () => {
      let s;
      try { s = await LeadReel.fetchJSON(started.status_url); } catch (err) { status.textContent = err.message; return; }
      if (s.status === "succeeded") { status.textContent = "Done."; player.src = s.video; player.hidden = false; return; }
      if (s.status === "failed" || s.status === "cancelled") { status.textContent = `Failed: ${s.error || s.status}`; return; }
      status.textContent = `${s.status} ${Math.round((s.progress || 0) * 100)}% (a worker must be running)`;
      setTimeout(poll, 1500);
    };
    poll();
  }
}
