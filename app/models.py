"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from app.alerts.models import Alert, AlertEvent, AlertRule, Silence
from app.auth.models import ApiKey, WebSession
from app.db import Base
from app.gazetteer.models import AliasAddition, PlaceAddition
from app.incidents.models import Incident
from app.notify.models import Notification, NotificationAttempt, Subscription
from app.reports.dedup import ReportBand, ReportFingerprint
from app.reports.models import Figure, FigureReview, Report
from app.series.models import SeriesPoint
from app.sources.models import FetchAttempt, Source
from app.summary.models import DestinationSummary
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = ["Alert", "AlertEvent", "AlertRule", "AliasAddition", "ApiKey", "Base",
           "DestinationSummary", "FetchAttempt", "Figure", "FigureReview", "Incident",
           "Notification", "NotificationAttempt", "PlaceAddition", "Report", "ReportBand",
           "ReportFingerprint", "SeriesPoint", "Silence", "Source", "Subscription", "WebSession",
           "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent"]
