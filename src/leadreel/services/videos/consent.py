"""Cookie-banner dismissal before a screenshot.

A consent dialog covering the lead's homepage ruins the video's hero shot. We try, in order:
known consent-platform buttons (OneTrust, Cookiebot, Didomi, Usercentrics, ...), then an
"accept" button by its exact label in several languages *inside something that looks like a
consent dialog* (so a bare "OK" elsewhere on the page is never clicked), and finally we hide
fixed overlays that talk about cookies. It runs in every frame, since many platforms render
their dialog in an iframe, and once more through Playwright's shadow-piercing selectors.
Failure is never an error: the screenshot simply keeps the banner.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("leadreel.screenshots")

CMP_SELECTORS: tuple[str, ...] = (
    "#onetrust-accept-btn-handler",
    "#accept-recommended-btn-handler",
    "#CybotCookiebotDialogBodyLevelButtonLevelOptinAllowAll",
    "#CybotCookiebotDialogBodyButtonAccept",
    "#didomi-notice-agree-button",
    "button[data-testid='uc-accept-all-button']",
    "#uc-btn-accept-banner",
    "#truste-consent-button",
    ".qc-cmp2-summary-buttons button[mode='primary']",
    ".fc-cta-consent",
    ".cky-btn-accept",
    ".cmplz-accept",
    ".iubenda-cs-accept-btn",
    "#axeptio_btn_acceptAll",
    "#wt-cli-accept-all-btn",
    "#cookie_action_close_header",
    ".cc-allow",
    ".cc-accept",
    ".cc-dismiss",
    "[data-cookiebanner='accept_button']",
    "[data-cookie-accept]",
    "#L2AGLb",
)

#: Exact button labels, best first (lower-case, whitespace collapsed).
ACCEPT_LABELS: tuple[str, ...] = (
    "accept all",
    "accept all cookies",
    "allow all",
    "allow all cookies",
    "alle akzeptieren",
    "alle cookies akzeptieren",
    "alle zulassen",
    "tout accepter",
    "accepter tout",
    "aceptar todo",
    "aceptar todas",
    "accetta tutto",
    "accetta tutti",
    "alles accepteren",
    "aceitar todos",
    "accept",
    "accept cookies",
    "i accept",
    "agree",
    "i agree",
    "agree and close",
    "akzeptieren",
    "zustimmen",
    "einverstanden",
    "accepter",
    "j'accepte",
    "aceptar",
    "accetta",
    "accepteren",
    "aceitar",
    "got it",
    "ok",
    "okay",
)

_DISMISS_JS = """
({selectors, labels}) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      if (visible(el)) { el.click(); return 'selector ' + sel; }
    }
  }
  const words = /cookie|consent|gdpr|privacy|cmp|datenschutz|rgpd|didomi|onetrust|usercentrics/i;
  const norm = (t) => (t || '').replace(/\\s+/g, ' ').trim().toLowerCase();
  const looksLikeConsent = (el) => {
    let node = el;
    for (let i = 0; node && node.nodeType === 1 && i < 10; i++, node = node.parentElement) {
      const cls = typeof node.className === 'string' ? node.className : '';
      const attrs = [node.id, cls, node.getAttribute('aria-label'), node.getAttribute('role')];
      if (words.test(attrs.join(' '))) return true;
      const pos = getComputedStyle(node).position;
      if ((pos === 'fixed' || pos === 'sticky') && words.test(node.innerText || '')) return true;
    }
    return false;
  };
  let best = null;
  const query = 'button, a, [role=button], input[type=button], input[type=submit]';
  for (const el of document.querySelectorAll(query)) {
    const label = norm(el.innerText || el.value || el.getAttribute('aria-label'));
    const rank = labels.indexOf(label);
    if (rank < 0 || (best && rank >= best.rank) || !visible(el) || !looksLikeConsent(el)) continue;
    best = {el, rank, label};
  }
  if (best) { best.el.click(); return 'button "' + best.label + '"'; }
  return null;
}
"""

_HIDE_JS = """
() => {
  const words = /cookie|consent|datenschutz|gdpr/i;
  let hidden = 0;
  const all = document.querySelectorAll('body *');
  for (let i = 0; i < all.length && i < 5000; i++) {
    const el = all[i];
    const pos = getComputedStyle(el).position;
    if (pos !== 'fixed' && pos !== 'sticky') continue;
    const text = el.innerText || '';
    if (text.length < 3000 && words.test(text)) {
      el.style.setProperty('display', 'none', 'important');
      hidden++;
    }
  }
  if (hidden) {
    document.documentElement.style.setProperty('overflow', 'auto', 'important');
    document.body.style.setProperty('overflow', 'auto', 'important');
  }
  return hidden;
}
"""


_SHADOW_JS = """
(selectors) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const roots = [];
  const all = document.querySelectorAll('*');
  for (let i = 0; i < all.length && i < 5000; i++) {
    if (all[i].shadowRoot) roots.push(all[i].shadowRoot);
  }
  for (let r = 0; r < roots.length && r < 200; r++) {
    for (const el of roots[r].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
    for (const sel of selectors) {
      for (const el of roots[r].querySelectorAll(sel)) {
        if (visible(el)) { el.click(); return true; }
      }
    }
  }
  return false;
}
"""


def dismiss_cookie_banner(page: Any, *, settle_ms: int = 400) -> str | None:
    """Click a consent "accept" button or hide a cookie overlay; return what was done."""
    args = {"selectors": list(CMP_SELECTORS), "labels": list(ACCEPT_LABELS)}
    for frame in page.frames:
        try:
            clicked = frame.evaluate(_DISMISS_JS, args)
        except Exception:  # detached or navigating frame: try the next one
            log.debug("consent script failed in a frame", exc_info=True)
            continue
        if clicked:
            page.wait_for_timeout(settle_ms)
            return f"clicked {clicked}"
    # Some platforms (Usercentrics, newer Cookiebot) render inside a shadow root, which
    # querySelectorAll cannot see: walk the open roots in the page (a script of our own
    # rather than Playwright's shadow-piercing locator, whose injected engine costs every
    # page a compile).
    try:
        clicked = page.main_frame.evaluate(_SHADOW_JS, list(CMP_SELECTORS))
    except Exception:  # navigating: fall through to hiding overlays
        log.debug("shadow-root consent script failed", exc_info=True)
        clicked = False
    if clicked:
        page.wait_for_timeout(settle_ms)
        return "clicked shadow-root consent button"
    try:
        hidden = page.main_frame.evaluate(_HIDE_JS)
    except Exception:
        return None
    return f"hid {hidden} overlay(s)" if hidden else None
