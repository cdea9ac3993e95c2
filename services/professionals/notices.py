"""Email about applications: the staff hear of a new one; the applicant gets a receipt and,
later, the decision. Queued in professionals' own outbox (:mod:`servicekit.mail`) inside the
transaction that made the change. Staff notices carry only the reference: the details stay
on the vetting page. Nothing here is ever about an officer.
"""

from __future__ import annotations

import datetime as dt

from servicekit.database import Executor
from servicekit.mail import MailSettings, enqueue


def signature(settings: MailSettings) -> str:
    return f"\nWeNeverWalkAlone\n{settings.public_url.link('/')}\n"


async def application_received(
    *, db: Executor, settings: MailSettings, reference: str, email: str
) -> None:
    if settings.staff:
        await enqueue(
            db=db,
            recipient=settings.staff,
            kind="staff",
            subject=f"New application {reference}",
            body=f"A professional applied: {reference}. It waits in the vetting queue:\n"
            f"{settings.public_url.link('/vetting')}\n",
        )
    await enqueue(
        db=db,
        recipient=email,
        kind="correspondent",
        subject=f"Your application {reference} is in",
        body=f"Thank you for applying to the network. Your reference is {reference}.\n\n"
        "A vetter will contact you to arrange the assessment. You can check where your "
        "application stands with the reference and the secret shown when you applied:\n"
        f"{settings.public_url.link('/application-status')}\n" + signature(settings),
    )


async def application_decided(
    *,
    db: Executor,
    settings: MailSettings,
    reference: str,
    email: str,
    approved: bool,
    reconsider_after: dt.date | None,
) -> None:
    if approved:
        subject = f"Your application {reference} is approved"
        body = (
            "The network's vetters approved your application. Officers can now find you in the "
            "network's directory. Please tell us when a license, insurance panel or address "
            "changes.\n"
        )
    else:
        subject = f"Your application {reference} was not approved this time"
        when = (
            f" after {reconsider_after:%B} {reconsider_after.day}, {reconsider_after.year}"
            if (reconsider_after)
            else ""
        )
        body = (
            "The network's vetters did not approve your application this time; a vetter will "
            f"explain why. You may ask for it to be reconsidered{when}.\n"
        )
    await enqueue(
        db=db,
        recipient=email,
        kind="correspondent",
        subject=subject,
        body=body + signature(settings),
    )
