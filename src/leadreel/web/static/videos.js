// Videos pages: progress bars and status polling (the template editor has its own modules).
// No third-party code; the CSP forbids inline scripts and styles, so widths are set here.
"use strict";

(() => {
  const ACTIVE = new Set(["queued", "capturing", "rendering"]);

  function setProgressBars(root = document) {
    root.querySelectorAll("[data-progress]").forEach((bar) => {
      const value = Math.max(0, Math.min(1, parseFloat(bar.dataset.progress) || 0));
      bar.style.width = `${Math.round(value * 100)}%`;
    });
  }

  // -- status polling (videos list and a video's page) ------------------------------------
  function startPolling() {
    const container = document.querySelector("[data-status-url]");
    if (!container) return;
    const url = container.dataset.statusUrl;
    const items = () => [...document.querySelectorAll("[data-video-id]")];
    async function poll() {
      const active = items().filter((el) => ACTIVE.has(el.dataset.status));
      if (!active.length) return;
      try {
        const ids = active.map((el) => el.dataset.videoId).join(",");
        const data = await LeadReel.fetchJSON(`${url}?ids=${encodeURIComponent(ids)}`);
        data.videos.forEach(update);
      } catch (err) {
        console.warn("status poll failed", err);
      }
      setTimeout(poll, 2000);
    }
    function update(video) {
      const el = document.querySelector(`[data-video-id="${video.id}"]`);
      if (!el) return;
      const was = el.dataset.status;
      el.dataset.status = video.status;
      const pill = el.querySelector('[data-role="status"]');
      if (pill) { pill.textContent = video.status; pill.className = `pill pill-${video.status}`; }
      const bar = el.querySelector('[data-role="progress-bar"] > span');
      if (bar) { bar.dataset.progress = video.progress; setProgressBars(el); }
      const error = el.querySelector('[data-role="error"]');
      if (error) error.textContent = video.error || "";
      const source = el.querySelector('[data-role="source"]');
      if (source && video.screenshot_source) {
        source.innerHTML = "";
        const span = document.createElement("span");
        span.className = `pill pill-src-${video.screenshot_source}`;
        span.textContent = video.screenshot_source;
        source.appendChild(span);
      }
      const thumb = el.querySelector('[data-role="thumb"]');
      if (thumb && video.thumbnail) {
        const img = document.createElement("img");
        img.className = "thumb"; img.src = video.thumbnail; img.alt = "Thumbnail";
        thumb.replaceWith(img);
      }
      const actions = el.querySelector(".actions-cell");
      if (actions && video.share_url && !actions.querySelector('[data-testid="share-page-link"]')) {
        // Finished while the page was open: the share page and its link, without a reload.
        const link = document.createElement("a");
        link.className = "btn btn-small"; link.href = video.share_url; link.target = "_blank";
        link.rel = "noopener"; link.dataset.testid = "share-page-link"; link.textContent = "Share page";
        const source = document.createElement("input");
        source.className = "copy-source"; source.id = `link-${video.id}`; source.readOnly = true;
        source.value = video.share_url; source.tabIndex = -1; source.setAttribute("aria-hidden", "true");
        const copy = document.createElement("button");
        copy.type = "button"; copy.className = "btn btn-small"; copy.dataset.copy = `#link-${video.id}`;
        copy.dataset.testid = "copy-link"; copy.textContent = "Copy link";
        actions.prepend(link, source, copy);
      }
      if (ACTIVE.has(was) && !ACTIVE.has(video.status) && el.dataset.reloadWhenDone) {
        window.location.reload();
      }
    }
    setTimeout(poll, 1500);
  }

  document.addEventListener("DOMContentLoaded", () => {
    setProgressBars();
    startPolling();
  });
})();
