from tandem.support.models.requests import (
    MESSAGE_MAX,
    Category,
    RequestStatus,
    SupportReply,
    SupportRequest,
    Urgency,
)

__all__ = [
    "MESSAGE_MAX",
    "Category",
    "RequestStatus",
    "SupportReply",
    "SupportRequest",
    "Urgency",
]
