"""Names the video modules share: task types, video statuses in flight, priorities.

Why a module of its own at the bottom: the chains that enqueue tasks, the samples that
hold them, the file pruning that must not touch videos in flight and the task bodies all
speak these names; kept here, none of them has to import another to learn a string.
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadreel.tasks.registry import PRIORITY_RENDER

#: Task types, in the order a lead's chain runs them (the fan-out creates the chains).
FANOUT = "render_fanout"
SCREENSHOT = "screenshot"
RENDER = "render_video"

#: A video in one of these has a chain that may still write to it.
ACTIVE_STATUSES = ("queued", "capturing", "rendering")

#: Held sample runs: the first task of a held chain is due "never" (see samples.py).
HOLD_UNTIL = datetime(9000, 1, 1, tzinfo=UTC)
HELD_AFTER = datetime(8999, 1, 1, tzinfo=UTC)  # run_after beyond this means "held"

#: Lower numbers run first: editor previews, then a run's fan-out, then samples, then renders.
PREVIEW_PRIORITY = PRIORITY_RENDER - 10
FANOUT_PRIORITY = PRIORITY_RENDER - 9
SAMPLE_PRIORITY = PRIORITY_RENDER - 5
