"""The video engine: a template and files in, an MP4, a thumbnail and a GIF out.

It knows nothing of the database, the web or the task queue, so it can be used and
tested alone. Layers, bottom up: ``templates`` (the pydantic model of a template) →
``overlays`` and ``stills`` (text and still-image filters) → ``graph`` (one ffmpeg filter
graph per part) → ``plan`` (which parts, what is cached) → ``engine`` (runs ffmpeg, joins the
parts). ``media`` probes and validates uploaded clips and images; ``cards`` draws the title
card used when a website cannot be captured. ffmpeg itself is behind
:mod:`leadreel.integrations.ffmpeg`.
"""
