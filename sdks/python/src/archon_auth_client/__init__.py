"""archon-auth client SDK: ``ArchonAuthClient`` (async), ``SyncArchonAuthClient`` (sync), and in
``archon_auth_client.agents`` the kit for tool servers that enforce agent capabilities."""
from .client import ArchonAuthClient
from .errors import ArchonAuthError
from .models import (API_KEY_SCOPES, WEBHOOK_EVENT_TYPES, AgentAuthResult, AgentTokenInfo, ApiKey,
                     AuthConfig, CreatedApiKey, CreatedWebhook, Envelope, LoginCredentials,
                     LoginData, LoginResponse, Page, Redelivery, RegisterData, Resource,
                     Restrictions, User, UserDict, VerifyDecision, Webhook, WebhookAttempt,
                     WebhookDelivery)
from .sync_client import SyncArchonAuthClient

__version__ = "2.0.0"

__all__ = [
    "API_KEY_SCOPES", "AgentAuthResult", "AgentTokenInfo", "ApiKey", "ArchonAuthClient",
    "ArchonAuthError", "AuthConfig", "CreatedApiKey", "CreatedWebhook", "Envelope",
    "LoginCredentials", "LoginData", "LoginResponse", "Page", "Redelivery", "RegisterData",
    "Resource", "Restrictions", "SyncArchonAuthClient", "User", "UserDict", "VerifyDecision",
    "WEBHOOK_EVENT_TYPES", "Webhook", "WebhookAttempt", "WebhookDelivery", "__version__",
]
