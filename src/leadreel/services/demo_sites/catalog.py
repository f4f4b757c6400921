"""What each sample site says and how it looks, by industry (words and colours only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Look:
    """A palette: page background, ink, accent, accent ink and the hero gradient."""

    bg: str
    ink: str
    accent: str
    accent_ink: str
    hero_from: str
    hero_to: str


LOOKS = {
    "ocean": Look("#f6f9fc", "#14213d", "#1f6feb", "#ffffff", "#0b3d91", "#1f8ceb"),
    "forest": Look("#f7faf5", "#1f2d1f", "#2f8f46", "#ffffff", "#1e5631", "#4caf50"),
    "sunset": Look("#fffaf5", "#2d1b12", "#e8590c", "#ffffff", "#b83b0b", "#f59f00"),
    "plum": Look("#fbf8fd", "#2a1733", "#8e44ad", "#ffffff", "#4a1a6b", "#b05fd6"),
    "slate": Look("#f5f6f8", "#1b1f27", "#0f766e", "#ffffff", "#1e293b", "#0f766e"),
    "rose": Look("#fff8f9", "#35131b", "#d6336c", "#ffffff", "#8c1d40", "#f06595"),
}

#: industry -> (look, tagline, services)
INDUSTRIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "logistics": (
        "ocean",
        "Freight that arrives when we said it would.",
        ("Same-day regional delivery", "Warehousing & fulfilment", "Live shipment tracking"),
    ),
    "marketing": (
        "plum",
        "Campaigns people actually remember.",
        ("Brand strategy", "Paid social & search", "Video & content studio"),
    ),
    "legal": (
        "slate",
        "Clear advice. Fair fees. Real answers.",
        ("Business contracts", "Employment law", "Estate planning"),
    ),
    "roofing": (
        "sunset",
        "A roof you never have to think about.",
        ("Free roof inspections", "Storm damage repair", "Full replacements"),
    ),
    "dental": (
        "ocean",
        "Gentle dentistry for the whole family.",
        ("Check-ups & cleaning", "Invisible aligners", "Same-day emergencies"),
    ),
    "landscaping": (
        "forest",
        "Gardens that look good in every season.",
        ("Garden design", "Lawn care plans", "Patios & outdoor lighting"),
    ),
    "veterinary": (
        "forest",
        "Caring for the ones who wait for you at home.",
        ("Wellness exams", "Vaccinations", "Surgery & dental"),
    ),
    "software": (
        "plum",
        "Software your team will enjoy using.",
        ("Custom web apps", "Cloud migration", "Support you can call"),
    ),
    "automotive": (
        "slate",
        "Honest repairs, done right the first time.",
        ("Diagnostics", "Brakes & tyres", "Scheduled maintenance"),
    ),
    "remodeling": (
        "sunset",
        "Kitchens and baths you will love coming home to.",
        ("Kitchen remodels", "Bathroom makeovers", "3D design previews"),
    ),
    "fitness": (
        "rose",
        "Stronger every week, with people who cheer you on.",
        ("Small-group classes", "Personal training", "Nutrition coaching"),
    ),
    "food & beverage": (
        "sunset",
        "Baked fresh every morning, right here.",
        ("Breads & pastries", "Celebration cakes", "Catering for offices"),
    ),
    "hvac": (
        "ocean",
        "Comfortable all year, without surprises.",
        ("Heating & cooling repair", "New system installs", "Maintenance plans"),
    ),
    "real estate": (
        "forest",
        "Find the place that feels like home.",
        ("Buying", "Selling", "Free home valuation"),
    ),
    "accounting": (
        "slate",
        "Numbers made simple, taxes made painless.",
        ("Tax preparation", "Bookkeeping", "Advisory for small business"),
    ),
}
GENERIC = (
    "ocean",
    "Local experts who pick up the phone.",
    ("Friendly consultations", "Fast scheduling", "Satisfaction guaranteed"),
)

TESTIMONIALS = (
    ("They were quick, friendly and did exactly what they promised.", "Jordan M."),
    ("Best decision we made this year. I recommend them to everyone.", "Priya S."),
    ("Professional from the first call to the last invoice.", "Luis R."),
)


def profile(industry: str | None) -> tuple[Look, str, tuple[str, ...]]:
    look, tagline, services = INDUSTRIES.get((industry or "").strip().lower(), GENERIC)
    return LOOKS[look], tagline, services
