from tandem.support.models.checkins import COMMENT_MAX, LOW_SCORES, CheckIn
from tandem.support.models.requests import (
    MESSAGE_MAX,
    Category,
    RequestStatus,
    SupportReply,
    SupportRequest,
    Urgency,
)

__all__ = [
    "COMMENT_MAX",
    "LOW_SCORES",
    "MESSAGE_MAX",
    "Category",
    "CheckIn",
    "RequestStatus",
    "SupportReply",
    "SupportRequest",
    "Urgency",
]
