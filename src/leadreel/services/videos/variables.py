"""A lead's text variables for templates (``Hi {first_name|there}``, ``Made for {company_name}``).

Why its own module: the renderer, the editor's live preview and the share page fill the
same variables, and none of them should import the others to get them.
"""

from __future__ import annotations

from typing import Any

from leadreel.models import Lead


def lead_variables(lead: Lead) -> dict[str, str]:
    """Text-overlay variables of a lead: its fields, its company's, then extra columns."""
    company = lead.company
    values: dict[str, Any] = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "full_name": lead.full_name or " ".join(p for p in (lead.first_name, lead.last_name) if p),
        "email": lead.email,
        "phone": lead.phone or lead.mobile_phone,
        "job_title": lead.job_title,
        "city": lead.city,
        "state": lead.state,
        "country": lead.country,
        "company_name": company.name if company else None,
        "company": company.name if company else None,
        "domain": company.domain if company else None,
        "website": company.website if company else None,
        "industry": company.industry if company else None,
        "company_city": company.city if company else None,
    }
    for key, value in (lead.extra or {}).items():
        name = "".join(c if c.isalnum() else "_" for c in str(key).strip().lower())
        if name and name.isidentifier() and name not in values and value not in (None, ""):
            values[name] = value
    return {k: "" if v is None else str(v) for k, v in values.items()}
