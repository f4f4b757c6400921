"""What every tool call runs with: the user's session, the user, and the page's selection.

The selection is what the person has ticked or filtered on the leads page when they asked;
"the selected leads" in a message means exactly this, and a confirmation is bound to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import User
from leadreel.services.leads.selection import Selection


@dataclass
class ToolContext:
    session: Session
    user: User
    settings: Settings
    secret: str
    #: The page's current selection (ticked ids or filter); empty = nothing selected.
    selection: Selection = field(default_factory=Selection)
    conversation_id: int | None = None
    #: Where download links point (the web app's root; empty = relative links).
    base_url: str = ""

    def page_selection_json(self) -> dict[str, Any]:
        return self.selection.to_json()
