"""Repositories: every SQL statement, grouped by the table family it stores."""

from chatpins.storage.repositories.acks import AckRepository
from chatpins.storage.repositories.apps import AppRepository, ServerSettingRepository
from chatpins.storage.repositories.chats import ChatRepository, MemberRepository
from chatpins.storage.repositories.conversations import ConversationPinRepository
from chatpins.storage.repositories.events import EventRepository
from chatpins.storage.repositories.global_pins import GlobalPinRepository
from chatpins.storage.repositories.idempotency import IdempotencyRepository
from chatpins.storage.repositories.messages import MessageRepository
from chatpins.storage.repositories.nonces import NonceRepository
from chatpins.storage.repositories.pins import PinRepository
from chatpins.storage.repositories.tokens import TokenRepository
from chatpins.storage.repositories.users import UserRepository
from chatpins.storage.repositories.webhooks import DeliveryRepository, WebhookRepository

__all__ = [
    "AckRepository",
    "AppRepository",
    "ChatRepository",
    "ConversationPinRepository",
    "DeliveryRepository",
    "EventRepository",
    "GlobalPinRepository",
    "IdempotencyRepository",
    "MemberRepository",
    "MessageRepository",
    "NonceRepository",
    "PinRepository",
    "ServerSettingRepository",
    "TokenRepository",
    "UserRepository",
    "WebhookRepository",
]
