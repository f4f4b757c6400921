"""All models, imported here so Alembic and ``Base.metadata`` see every table."""

from leadreel.models.base import Base, utcnow
from leadreel.models.chat import ChatMessage
from leadreel.models.company import COMPANY_FIELD_ATTRS, Company
from leadreel.models.export import Export, ExportTemplate
from leadreel.models.fields import FieldDefinition
from leadreel.models.imports import ImportBatch, ImportChange, SavedMapping
from leadreel.models.lead import LEAD_FIELDS, Lead
from leadreel.models.storage import AppSetting, DriveAccount
from leadreel.models.tasks import ProcessingTask, WorkerRecord
from leadreel.models.user import ROLES, User
from leadreel.models.video import MediaAsset, RenderRun, Video, VideoTemplate

__all__ = [
    "Base",
    "utcnow",
    "ChatMessage",
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
    "AppSetting",
    "DriveAccount",
    "ProcessingTask",
    "WorkerRecord",
    "User",
    "ROLES",
    "MediaAsset",
    "RenderRun",
    "Video",
    "VideoTemplate",
]
