"""Email for the people who run the network, and receipts for those who contact it.

Queued and delivered by :mod:`servicekit.mail` (membership's own ``mail_outbox``). Mail goes
only to the network's staff address and to the person who wrote to the network — never
about an officer: officers' actions do not pass through here at all.
"""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from servicekit.database import Executor
from servicekit.mail import MailSettings, enqueue

from .schema import context


def settings_of(info: Info[Any, Any]) -> MailSettings:
    return context(info).resources.mail


async def contact_received(
    *, db: Executor, settings: MailSettings, kind: str, agency: str, email: str, reference: str
) -> None:
    """A joining inquiry or demo request arrived: tell the staff, and the sender."""
    what = "a demo" if kind == "demo" else "joining the network"
    if settings.staff:
        await enqueue(
            db=db,
            recipient=settings.staff,
            kind="staff",
            subject=f"New request about {what}: {agency[:120]}",
            body=f"{agency} asked about {what}.\n\nRead it and mark it handled on the portal's "
            f"administration page:\n{settings.public_url.link('/admin')}\n\n"
            f"Reference: {reference}\n",
        )
    await enqueue(
        db=db,
        recipient=email,
        kind="correspondent",
        subject="We received your message",
        body=f"Thank you for asking about {what}. Someone from the network will be in touch "
        f"soon.\n\nYour reference: {reference}\n\nWeNeverWalkAlone\n"
        f"{settings.public_url.link('/')}\n",
    )
