"""Sample business websites for the demo, generated locally and served by the app itself.

Why: demo leads' sites (``.example``) cannot be reached, so a demo video showed a title
card. ``leadreel demo`` writes one small site per demo company under
``<data dir>/demo_sites/<slug>/`` (our own HTML and CSS, nothing downloaded), points the
demo companies at ``http://127.0.0.1:<port>/demo-sites/<slug>/``, and records that address
in ``manifest.json``; while the manifest exists the egress filter lets the screenshot
browser fetch exactly that address's ``/demo-sites/`` paths (plain http, no tunnel) and
nothing else on loopback.
"""
