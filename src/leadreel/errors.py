"""The exception tree. Services raise these; views and task bodies translate them.

LeadReelError
├── NotFound            a record does not exist (or the user may not know it does)
├── PermissionDenied    the user's role does not allow the action
├── ValidationError     input is wrong; the message is safe to show
│   └── ImportFileError an uploaded file cannot be read (lives in services.importing)
└── IntegrationError    an outside tool failed (AI, Drive, ffmpeg, browser)
"""


class LeadReelError(Exception):
    """Base of every error LeadReel raises on purpose."""


class NotFound(LeadReelError):
    pass


class PermissionDenied(LeadReelError):
    pass


class ValidationError(LeadReelError):
    pass


class IntegrationError(LeadReelError):
    pass
