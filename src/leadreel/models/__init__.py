"""All models, imported here so Alembic and ``Base.metadata`` see every table."""

from leadreel.models.base import Base, utcnow
from leadreel.models.chat import ChatConfirmation, ChatConversation, ChatMessage, ChatToolCall
from leadreel.models.company import COMPANY_FIELD_ATTRS, Company
from leadreel.models.export import Export, ExportTemplate
from leadreel.models.fields import FieldDefinition
from leadreel.models.imports import ImportBatch, ImportChange, SavedMapping
from leadreel.models.lead import LEAD_FIELDS, Lead
from leadreel.models.share import ShareEvent, ShareVisit
from leadreel.models.storage import AppSetting, DriveAccount, LoginAttempt
from leadreel.models.tasks import ProcessingTask, WorkerRecord
from leadreel.models.user import ROLES, User
from leadreel.models.video import MediaAsset, RenderRun, Video, VideoTemplate

__all__ = [
    "Base",
    "utcnow",
    "ChatConfirmation",
    "ChatConversation",
    "ChatMessage",
    "ChatToolCall",
    "Company",
    "COMPANY_FIELD_ATTRS",
    "Export",
    "ExportTemplate",
    "FieldDefinition",
    "ImportBatch",
    "ImportChange",
    "SavedMapping",
    "Lead",
    "LEAD_FIELDS",
    "ShareEvent",
    "ShareVisit",
    "AppSetting",
    "DriveAccount",
    "LoginAttempt",
    "ProcessingTask",
    "WorkerRecord",
    "User",
    "ROLES",
    "MediaAsset",
    "RenderRun",
    "Video",
    "VideoTemplate",
]
