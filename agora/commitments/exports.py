"""Open data: CSV and JSON exports of goals, commitments and updates, and an Atom feed.

Only what anyone may see goes out: commitments visible to signed-in residents only are left
out, and anonymous commitments carry no author name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET

from agora.commitments import services
from agora.commitments.models import Commitment, Goal, ProgressUpdate

ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 does not allow, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

GOAL_FIELDS = ["id", "title", "district", "indicator", "unit", "baseline", "target", "deadline",
               "latest_value", "latest_on", "progress_percent", "status", "source_panel_goal_id"]
COMMITMENT_FIELDS = ["id", "goal_id", "kind", "title", "actor", "organisation_kind", "target_value", "target_unit",
                     "deadline", "status", "progress_percent", "withdrawal_reason", "endorsements", "created_at"]
UPDATE_FIELDS = ["id", "commitment_id", "goal_id", "happened_on", "value", "text", "has_photo", "created_at"]


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return value.isoformat()


def goal_rows(goals: Iterable[Goal], on: date | None = None) -> list[dict]:
    rows = []
    for goal in goals:
        progress = services.goal_progress(goal, on)
        rows.append({
            "id": goal.id, "title": goal.title, "district": goal.district.name if goal.district else None,
            "indicator": goal.indicator_name, "unit": goal.unit, "baseline": goal.baseline, "target": goal.target,
            "deadline": _iso(goal.deadline), "latest_value": progress.latest, "latest_on": _iso(progress.latest_on),
            "progress_percent": progress.percent, "status": progress.status,
            "source_panel_goal_id": goal.source_panel_goal_id,
        })
    return rows


def commitment_rows(commitments: Iterable[Commitment], on: date | None = None) -> list[dict]:
    rows = []
    for c in commitments:
        progress = services.commitment_progress(c, on)
        rows.append({
            "id": c.id, "goal_id": c.goal_id, "kind": c.kind, "title": c.title,
            "actor": services.actor_label(c, None),
            "organisation_kind": c.organisation.kind if c.organisation else None,
            "target_value": c.target_value, "target_unit": c.target_unit, "deadline": _iso(c.deadline),
            "status": services.current_status(c, on), "progress_percent": progress.percent if progress else None,
            "withdrawal_reason": c.withdrawal_reason, "endorsements": len(c.endorsements),
            "created_at": _iso(c.created_at),
        })
    return rows


def update_rows(updates: Iterable[ProgressUpdate]) -> list[dict]:
    return [{
        "id": u.id, "commitment_id": u.commitment_id, "goal_id": u.commitment.goal_id,
        "happened_on": _iso(u.happened_on), "value": u.value, "text": u.text, "has_photo": u.photo_type is not None,
        "created_at": _iso(u.created_at),
    } for u in updates]


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    # A spreadsheet would run a cell starting with = + - @ as a formula; numbers stay numbers.
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(rows: list[dict], fields: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(row[f]) for f in fields])
    return out.getvalue()


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)


def _clean(text: str) -> str:
    return _XML_INVALID.sub("", text or "")


def atom_feed(*, feed_id: str, title: str, self_url: str, site_url: str, updated: datetime | None,
              entries: list[dict]) -> bytes:
    """A valid Atom 1.0 document. Entries: id, title, link, updated (aware datetime), author, summary.

    ElementTree escapes text; characters XML cannot carry at all are removed first.
    """
    ET.register_namespace("", ATOM_NS)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
        if text is not None:
            element.text = _clean(text)
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", _iso(updated or datetime(2000, 1, 1, tzinfo=UTC)))
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=site_url, type="text/html")
    for entry in entries:
        item = sub(feed, "entry")
        sub(item, "id", entry["id"])
        sub(item, "title", entry["title"])
        sub(item, "updated", _iso(entry["updated"]))
        sub(item, "link", rel="alternate", href=entry["link"], type="text/html")
        author = sub(item, "author")
        sub(author, "name", entry["author"])
        sub(item, "summary", entry["summary"], type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
