// The share page's only script: tells the server that a person (not a link scanner)
// opened the page, played the video, got 25/50/75/100% through, or clicked the button.
// Each report names the visit key the page was rendered with; nothing else is sent.
(function () {
  "use strict";
  const main = document.querySelector("main.share[data-visit]");
  if (!main || !main.dataset.visit) return;
  const url = main.dataset.eventsUrl;
  const visit = main.dataset.visit;

  function send(kind, value) {
    const body = JSON.stringify({ visit: visit, kind: kind, value: value === undefined ? null : value });
    try {
      return fetch(url, {
        method: "POST", body: body, keepalive: true, credentials: "omit",
        headers: { "Content-Type": "application/json" },
      }).catch(function () { /* tracking never breaks the page */ });
    } catch (e) { return Promise.resolve(); }
  }

  send("open");
  const video = main.querySelector("video");
  if (video) {
    const sent = new Set();
    video.addEventListener("play", function () { if (!sent.has("play")) { sent.add("play"); send("play"); } });
    const mark = function (percent) {
      if (!sent.has(percent)) { sent.add(percent); send("progress", percent); }
    };
    video.addEventListener("timeupdate", function () {
      if (!video.duration || !isFinite(video.duration)) return;
      const done = (video.currentTime / video.duration) * 100;
      [25, 50, 75].forEach(function (p) { if (done >= p) mark(p); });
      if (done >= 99.5) mark(100);
    });
    video.addEventListener("ended", function () { [25, 50, 75, 100].forEach(mark); });
  }
  const cta = main.querySelector("a.cta");
  if (cta) cta.addEventListener("click", function () { send("cta"); });
})();
