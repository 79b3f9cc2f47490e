"""Outgoing mail: every message is logged and kept in the outbox table; SMTP when configured.

Messages are delivered only after the transaction that created them commits, so a rolled-back
action never mails anyone, and by a background job (agora.jobs), so an action that mails
thousands of followers answers at once. The job sends over one SMTP connection and marks each
delivered message with ``sent_at``; a message it could not deliver stays in the outbox unsent
(``agora mail send-pending`` tries again).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from agora import jobs
from agora.accounts.models import OutboxMessage
from agora.db import db, unit_of_work, utcnow

log = logging.getLogger("agora.mail")
_PENDING = "agora_pending_mail"
DELIVERY_JOB = "mail.deliver"


def send_mail(recipient: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    if current_app.config.get("MAIL_SERVER"):
        db.session().info.setdefault(_PENDING, []).append(message)
    log.info("mail to %s: %s\n%s", recipient, subject, body)
    return message


@event.listens_for(Session, "before_commit")
def _queue_delivery(session: Session) -> None:
    # One job per committed action, created in its transaction: it runs only if the action commits.
    if session.in_nested_transaction():  # SQLAlchemy also calls this when a savepoint is released
        return
    messages = session.info.pop(_PENDING, None)
    if messages:
        session.flush()
        jobs.enqueue(DELIVERY_JOB, {"ids": [m.id for m in messages]})


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)


@jobs.handler(DELIVERY_JOB)
def _deliver_job(job_id: int, payload: dict[str, Any], report: jobs.Reporter) -> dict[str, int]:  # noqa: ARG001
    return deliver(payload["ids"], report=report)


def deliver(ids: list[int], *, report: jobs.Reporter | None = None) -> dict[str, int]:
    """Send the outbox messages ``ids`` not sent yet over one SMTP connection; each delivered one is
    marked ``sent_at`` in its own transaction. Returns how many were sent and how many failed."""
    config = current_app.config
    messages = list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)))
    db.session.remove()  # no transaction held open while talking to the mail server
    sent = failed = 0
    if not messages or not config.get("MAIL_SERVER"):
        return {"sent": 0, "failed": len(messages)}
    try:
        with _connect(config) as server:
            for n, message in enumerate(messages, 1):
                try:
                    server.send_message(_email(config["MAIL_SENDER"], message))
                except smtplib.SMTPException:  # this recipient refused: the others still go
                    log.exception("could not deliver mail %s to %s (kept in the outbox)", message.id, message.recipient)
                    failed += 1
                    continue
                with unit_of_work():
                    db.session.get(OutboxMessage, message.id).sent_at = utcnow()
                sent += 1
                if report:
                    report(n / len(messages), f"{n} of {len(messages)} messages")
    except (OSError, smtplib.SMTPException):
        log.exception("could not reach the mail server %s: %d messages kept in the outbox",
                      config["MAIL_SERVER"], len(messages) - sent - failed)
        failed = len(messages) - sent
    return {"sent": sent, "failed": failed}


def pending_ids() -> list[int]:
    return list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))
                                   .order_by(OutboxMessage.id)))


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    server = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10)
    try:
        if config["MAIL_USE_TLS"]:
            server.starttls()
        if config["MAIL_USERNAME"]:
            server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except BaseException:
        server.close()
        raise
    return server


def _email(sender: str, message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, message.recipient, message.subject
    email.set_content(message.body)
    return email
