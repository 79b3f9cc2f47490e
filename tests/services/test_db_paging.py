"""agora.db.paginate: pages of a statement, counted only when the page does not show the total."""

from __future__ import annotations

from sqlalchemy import bindparam, event, select

from agora.census.models import District
from agora.db import db, paginate


def test_pages_links_and_counts(app):
    statements: list[str] = []
    with app.test_request_context():
        db.session.add_all(District(name=f"District {n}") for n in range(7))
        db.session.commit()
        def record(*args):
            statements.append(args[2])

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            by_name = select(District).order_by(District.name)
            second = paginate(by_name, page=2, per_page=3)
            assert [d.name for d in second] == ["District 3", "District 4", "District 5"]
            assert (second.total, second.pages, second.prev_num, second.next_num) == (7, 3, 1, 3)
            assert len(statements) == 2  # a full page in the middle: the total needs a count
            statements.clear()
            last = paginate(by_name, page=3, per_page=3)
            assert [d.name for d in last] == ["District 6"]
            assert (last.total, last.has_next, last.next_num) == (7, False, None)
            assert len(statements) == 1  # the last page shows how many there are
            past = paginate(by_name, page=9, per_page=3)
            assert (past.items, past.total, past.pages, past.has_prev) == ([], 7, 3, True)
            assert paginate(by_name, page=-4, per_page=10_000).page == 1
            assert paginate(by_name, page=1, per_page=10_000).per_page == 100
            # Values bound at run time, in the rows and in the count alike.
            named = select(District).where(District.name >= bindparam("from")).order_by(District.name)
            bound = paginate(named, page=1, per_page=2, params={"from": "District 4"})
            assert ([d.name for d in bound], bound.total) == (["District 4", "District 5"], 3)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
