"""Outgoing mail: every message is logged and kept in the outbox table; SMTP when configured.

Messages are sent only after the transaction that created them commits, so a rolled-back
action never mails anyone.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from agora.accounts.models import OutboxMessage
from agora.db import db

log = logging.getLogger("agora.mail")
_PENDING = "agora_pending_mail"


def send_mail(recipient: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    config = current_app.config
    if config.get("MAIL_SERVER"):
        keys = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS")
        smtp = {k: config.get(k) for k in keys}
        db.session().info.setdefault(_PENDING, []).append((smtp, config["MAIL_SENDER"], recipient, subject, body))
    log.info("mail to %s: %s\n%s", recipient, subject, body)
    return message


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    for smtp, sender, recipient, subject, body in session.info.pop(_PENDING, []):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, recipient, subject
        msg.set_content(body)
        try:
            with smtplib.SMTP(smtp["MAIL_SERVER"], int(smtp["MAIL_PORT"]), timeout=10) as server:
                if smtp["MAIL_USE_TLS"]:
                    server.starttls()
                if smtp["MAIL_USERNAME"]:
                    server.login(smtp["MAIL_USERNAME"], smtp["MAIL_PASSWORD"] or "")
                server.send_message(msg)
        except (OSError, smtplib.SMTPException):
            log.exception("could not deliver mail to %s (kept in the outbox)", recipient)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
