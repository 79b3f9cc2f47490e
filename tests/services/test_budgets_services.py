"""Participatory budgets: phases and locked rules, headings by district, valuation, supports, secret
knapsack ballots (also concurrently), results by voting.budget and a .pb export that reads back the same."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa
from helpers import make_user

from agora.audit import AuditEntry
from agora.ballots.models import Ballot, BallotCast
from agora.budgets import services
from agora.budgets.models import BudgetHeading, BudgetProcess, BudgetProject
from agora.census.models import District
from agora.db import db
from agora.errors import Conflict, InvalidInput, PermissionDenied, PhaseClosed
from agora.permissions import Role


def _district(name: str) -> District:
    district = db.session.scalar(sa.select(District).where(District.name == name))
    if district is None:
        district = District(name=name)
        db.session.add(district)
        db.session.commit()
    return district


def _process(admin=None, **over) -> BudgetProcess:
    admin = admin or make_user("pb-admin@example.org", roles=[Role.ADMIN])
    heverlee = _district("Heverlee")
    rules = dict(title="Leuven decides 2026", city_amount=100_000, district_amounts={heverlee.id: 30_000})
    rules.update(over)
    process = services.create_process(admin, services.ProcessRules(**rules))
    db.session.commit()
    return process


def _heading(process, district_name=None) -> BudgetHeading:
    return next(h for h in process.headings if (h.district.name if h.district else None) == district_name)


def _to_ballot(process, admin, projects: list[tuple[str, int, str | None]]) -> list[BudgetProject]:
    """Accept, price as feasible and put projects on the ballot; returns them."""
    author = make_user("pb-author@example.org", verified=True, district="Heverlee")
    clerk = make_user("pb-clerk@example.org", roles=[Role.CLERK])
    services.set_phase(admin, process, "accepting")
    made = [services.submit_project(author, process, services.ProjectData(
        title=title, heading_id=_heading(process, district).id, estimated_cost=cost))
        for title, cost, district in projects]
    services.set_phase(admin, process, "reviewing")
    for project in made:
        services.valuate_project(clerk, project, feasibility="feasible", price=project.estimated_cost)
    services.set_phase(admin, process, "balloting")
    db.session.commit()
    return made


def _admin():
    return db.session.scalar(sa.select(BudgetProcess.created_by_id))


def test_create_with_headings_and_rules_lock_when_balloting_starts(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin)
    assert process.phase == "informing" and process.rule == "mes" and process.ballot_type == "knapsack"
    assert [(h.district_id is None, h.amount) for h in process.headings] == [(True, 100_000), (False, 30_000)]
    services.update_process(admin, process, services.ProcessRules(title="Leuven decides", city_amount=90_000,
                                                                  rule="greedy"))
    assert process.rule == "greedy" and [h.amount for h in process.headings] == [90_000]
    with pytest.raises(PhaseClosed, match="Open balloting first"):
        services.set_phase(admin, process, "finished")
    services.set_phase(admin, process, "balloting")
    with pytest.raises(PhaseClosed, match="locked"):
        services.update_process(admin, process, services.ProcessRules(title="Leuven decides", city_amount=1,
                                                                      rule="mes"))
    with pytest.raises(PhaseClosed):
        services.set_phase(admin, process, "selecting")
    db.session.commit()
    assert process.rule == "greedy"
    with pytest.raises(PermissionDenied):
        services.create_process(make_user("rita@example.org", verified=True),
                                services.ProcessRules(title="Mine", city_amount=10))
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"budget.create", "budget.update", "budget.phase"} <= actions


@pytest.mark.parametrize(("over", "field"), [
    ({"title": "x"}, "title"),
    ({"city_amount": 0}, "city_amount"),
    ({"rule": "dictator"}, "rule"),
    ({"ballot_type": "approval", "max_projects": None}, "max_projects"),
    ({"min_projects": 3, "max_projects": 2}, "max_projects"),
    ({"ballot_size": 0}, "ballot_size"),
])
def test_invalid_rules_name_their_field(ctx, over, field):
    with pytest.raises(InvalidInput) as error:
        _process(**over)
    assert error.value.field == field


def test_phases_gate_submitting_valuating_and_supporting(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin)
    rita = make_user("rita@example.org", verified=True, district="Heverlee")
    kim = make_user("kim@example.org", verified=True, district="Wilsele")
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    data = services.ProjectData(title="Benches on the Naamsestraat", heading_id=_heading(process).id,
                                estimated_cost=12_000)
    with pytest.raises(PhaseClosed):
        services.submit_project(rita, process, data)
    services.set_phase(admin, process, "accepting")
    with pytest.raises(PermissionDenied):
        services.submit_project(make_user("new@example.org"), process, data)
    with pytest.raises(InvalidInput) as error:
        services.submit_project(rita, process, services.ProjectData(
            title="Too dear", heading_id=_heading(process).id, estimated_cost=100_001))
    assert error.value.field == "estimated_cost"
    city = services.submit_project(rita, process, data)
    local = services.submit_project(rita, process, services.ProjectData(
        title="Playground in Heverlee", heading_id=_heading(process, "Heverlee").id, estimated_cost=20_000))
    with pytest.raises(PhaseClosed):
        services.valuate_project(clerk, city, feasibility="feasible", price=11_000)
    services.set_phase(admin, process, "reviewing")
    with pytest.raises(PermissionDenied):
        services.valuate_project(rita, city, feasibility="feasible", price=11_000)
    with pytest.raises(InvalidInput, match="Explain"):
        services.valuate_project(clerk, local, feasibility="unfeasible")
    services.valuate_project(clerk, city, feasibility="feasible", price=11_000)
    services.valuate_project(clerk, local, feasibility="unfeasible", explanation="The land is private.")
    assert local.price is None and city.price == 11_000
    with pytest.raises(PhaseClosed):
        services.support_project(rita, city)
    services.set_phase(admin, process, "selecting")
    services.support_project(rita, city)
    services.support_project(kim, city)
    db.session.commit()
    with pytest.raises(Conflict, match="already support"):
        services.support_project(rita, city)
    db.session.rollback()
    with pytest.raises(InvalidInput, match="unfeasible"):
        services.support_project(rita, local)
    with pytest.raises(PermissionDenied, match="own district"):
        services.support_project(kim, local)
    db.session.refresh(city)
    assert city.supports_count == 2 and services.supported_ids(rita, process) == {city.id}
    services.set_phase(admin, process, "balloting")
    assert city.on_ballot and not local.on_ballot
    assert "budget.project.valuate" in set(db.session.scalars(sa.select(AuditEntry.action)))


def test_ballot_size_keeps_the_most_supported(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin, ballot_size=2)
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    voters = [make_user(f"s{i}@example.org", verified=True) for i in range(3)]
    services.set_phase(admin, process, "accepting")
    projects = [services.submit_project(voters[0], process, services.ProjectData(
        title=f"Project {i}", heading_id=_heading(process).id, estimated_cost=1000)) for i in range(3)]
    services.set_phase(admin, process, "reviewing")
    for p in projects:
        services.valuate_project(clerk, p, feasibility="feasible", price=1000)
    services.set_phase(admin, process, "selecting")
    for voter in voters:
        services.support_project(voter, projects[2])
    services.support_project(voters[0], projects[1])
    services.set_phase(admin, process, "balloting")
    assert [p.on_ballot for p in projects] == [False, True, True]


def test_knapsack_ballot_limits_districts_and_change(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin)
    park, library, lights, square = _to_ballot(process, admin, [
        ("Park", 60_000, None), ("Library", 50_000, None), ("Lights", 10_000, None), ("Square", 25_000, "Heverlee")])
    city, heverlee = _heading(process), _heading(process, "Heverlee")
    rita = make_user("rita@example.org", verified=True, district="Heverlee")
    kim = make_user("kim@example.org", verified=True, district="Wilsele")
    with pytest.raises(InvalidInput, match="10\u202f000\u00a0EUR over"):
        services.cast_budget_ballot(rita, city, [park.id, library.id])
    with pytest.raises(InvalidInput, match="not on this heading"):
        services.cast_budget_ballot(rita, city, [square.id])
    with pytest.raises(PermissionDenied):  # a resident of Wilsele cannot vote in Heverlee's heading
        services.cast_budget_ballot(kim, heverlee, [square.id])
    receipt = services.cast_budget_ballot(rita, city, [park.id, lights.id])
    services.cast_budget_ballot(rita, heverlee, [square.id])
    services.cast_budget_ballot(kim, city, [library.id])
    db.session.commit()
    with pytest.raises(Conflict):
        services.cast_budget_ballot(rita, city, [lights.id])
    db.session.rollback()
    with pytest.raises(InvalidInput, match="over"):  # a change is held to the same limit
        services.cast_budget_ballot(rita, city, [park.id, library.id], change_key=receipt.change_key)
    assert services.cast_budget_ballot(rita, city, [library.id, lights.id],
                                       change_key=receipt.change_key).receipt == receipt.receipt
    db.session.commit()
    assert services.turnout(city) == 2 and services.has_voted(rita, heverlee)
    with pytest.raises(PermissionDenied, match="hidden"):
        services.export_pb(city)


def test_approval_ballot_min_and_max(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin, ballot_type="approval", min_projects=2, max_projects=2)
    a, b, c = _to_ballot(process, admin, [("Aaa", 90_000, None), ("Bbb", 90_000, None), ("Ccc", 5_000, None)])
    rita = make_user("rita@example.org", verified=True)
    with pytest.raises(InvalidInput, match="at least 2"):
        services.cast_budget_ballot(rita, _heading(process), [a.id])
    with pytest.raises(InvalidInput, match="at most 2"):
        services.cast_budget_ballot(rita, _heading(process), [a.id, b.id, c.id])
    services.cast_budget_ballot(rita, _heading(process), [a.id, b.id])  # over the budget is fine here


def test_close_counts_with_mes_and_the_pb_export_reads_back_the_same(ctx, tmp_path):
    from voting.budget import allocate as library_allocate
    from voting.budget import parse_pb, rule_from_meta

    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin, city_amount=1000, district_amounts={})
    projects = _to_ballot(process, admin, [("Aa1", 300, None), ("Aa2", 300, None), ("Aa3", 300, None),
                                           ("Bb1", 400, None), ("Bb2", 400, None)])
    a1, a2, a3, b1, b2 = (p.id for p in projects)
    city = _heading(process)
    receipts = []
    for i, choice in enumerate([[a1, a2, a3]] * 6 + [[b1, b2]] * 4):
        voter = make_user(f"v{i}@example.org", verified=True)
        receipts.append(services.cast_budget_ballot(voter, city, choice).receipt)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.close_balloting(make_user("clerk@example.org", roles=[Role.CLERK]), process)
    services.close_balloting(admin, process)
    db.session.commit()
    result = city.result
    assert process.phase == "reviewing_ballots" and result["rule"] == "equal_shares"
    # Greedy would fund A1, A2, A3 only; equal shares gives the B voters their share.
    assert str(b1) in result["selected"] and result["n_ballots"] == 10
    assert result["project_votes"][str(a1)] == 6 and result["project_votes"][str(b2)] == 4
    assert int(result["total_cost"]) + int(result["leftover"]) == 1000
    pb = services.export_pb(city)
    assert "pb-admin" not in pb and "@" not in pb
    read = parse_pb(pb)
    rule, options = rule_from_meta(read)
    assert library_allocate(read, rule, **options).to_dict()["selected"] == result["selected"]
    listed = services.ballots_csv(city).splitlines()
    assert listed[0] == "receipt,projects" and sorted(receipts) == [line.split(",")[0] for line in listed[1:]]
    assert [p.title for p in services.find_receipt(city, receipts[-1].lower())] == ["Bb1", "Bb2"]
    rows = services.results_csv(city).splitlines()
    assert rows[0].startswith("project_id,title") and len(rows) == 6
    with pytest.raises(PhaseClosed):
        services.cast_budget_ballot(make_user("late@example.org", verified=True), city, [a1])
    # The command shown on the results page gives the same funded projects.
    import json
    import subprocess
    import sys

    (tmp_path / services.export_name(city, "votes.pb")).write_text(pb)
    command = services.reproduce_command(city).split()
    run = subprocess.run([sys.executable, *command[1:], "--json"], cwd=tmp_path, capture_output=True, text=True,
                         check=True)
    assert json.loads(run.stdout)["selected"] == result["selected"]


def test_close_with_no_ballots_funds_nothing(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin)
    services.set_phase(admin, process, "balloting")
    services.close_balloting(admin, process)
    assert all(h.result["selected"] == [] and h.result["n_ballots"] == 0 for h in process.headings)


def test_no_query_can_join_a_budget_ballot_to_its_voter(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin)
    (park,) = _to_ballot(process, admin, [("Park", 60_000, None)])
    rita = make_user("rita@example.org", verified=True)
    receipt = services.cast_budget_ballot(rita, _heading(process), [park.id])
    db.session.commit()
    ballot, cast = db.session.scalar(sa.select(Ballot)), db.session.scalar(sa.select(BallotCast))
    # The budget's ballot lives in the shared box: the only shared column is the contest.
    assert {c.name for c in Ballot.__table__.columns} & {c.name for c in BallotCast.__table__.columns} \
        == {"id", "contest"}
    assert ballot.contest == cast.contest == services.contest(_heading(process))
    assert ballot.change_digest != cast.change_check and receipt.change_key not in (ballot.change_digest,
                                                                                     cast.change_check)
    assert not Ballot.__table__.foreign_keys
    budget_tables = [t for name, t in db.metadata.tables.items() if name.startswith("budget_")]
    assert not [fk for t in budget_tables for fk in t.foreign_keys if fk.column.table.name in ("ballots",
                                                                                                 "ballot_casts")]


@pytest.mark.parametrize("changing", [False, True])
def test_concurrent_ballots_of_one_voter_never_exceed_the_budget(app, changing):
    """Six tabs submit at once (first ballots, or changes with the key): never over the heading's budget,
    never two ballots."""
    with app.test_request_context():
        admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
        process = _process(admin, district_amounts={})
        park, library, lights = _to_ballot(process, admin, [("Park", 60_000, None), ("Library", 50_000, None),
                                                             ("Lights", 10_000, None)])
        heading_id, voter_id = _heading(process).id, make_user("rita@example.org", verified=True).id
        key = None
        if changing:
            from agora.accounts.models import User

            key = services.cast_budget_ballot(db.session.get(User, voter_id), _heading(process),
                                              [lights.id]).change_key
            db.session.commit()
        choices = [[park.id, lights.id], [library.id, lights.id], [park.id], [library.id], [park.id, lights.id],
                   [library.id]]
        db.session.remove()
    barrier = threading.Barrier(len(choices))
    outcomes: list[str] = []

    def cast(choice) -> None:
        from agora.accounts.models import User

        with app.test_request_context():
            try:
                heading, voter = db.session.get(BudgetHeading, heading_id), db.session.get(User, voter_id)
                services.validate_ballot(heading, choice)  # warm the session before the race
                barrier.wait()
                services.cast_budget_ballot(voter, heading, choice, change_key=key)
                db.session.commit()
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            except Exception as error:  # SQLite may report a busy database instead
                outcomes.append(type(error).__name__)
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=cast, args=(c,)) for c in choices]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") >= 1, outcomes
    if not changing:
        assert outcomes.count("ok") == 1, outcomes
        if app.config["TEST_BACKEND"] == "postgresql":
            assert outcomes.count("conflict") == 5, outcomes
    with app.app_context():
        ballots = db.session.scalars(sa.select(Ballot)).all()
        assert len(ballots) == 1 and db.session.scalar(sa.select(sa.func.count()).select_from(BallotCast)) == 1
        prices = dict(db.session.execute(sa.select(BudgetProject.id, BudgetProject.price)).all())
        assert sum(prices[p] for p in ballots[0].content["projects"]) <= 100_000


@pytest.mark.parametrize(("over", "field"), [
    ({"ballot_type": "cumulative"}, "total_points"),
    ({"ballot_type": "cumulative", "total_points": 10, "max_points": 11}, "max_points"),
    ({"ballot_type": "cumulative", "total_points": 5000}, "total_points"),
    ({"ballot_type": "ranking"}, "max_projects"),
])
def test_points_and_ranking_rules_name_their_field(ctx, over, field):
    with pytest.raises(InvalidInput) as error:
        _process(**over)
    assert error.value.field == field


def test_cumulative_ballot_points_checked_and_locked(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin, ballot_type="cumulative", total_points=10, max_points=6, district_amounts={})
    assert (process.total_points, process.max_points) == (10, 6)
    park, library, lights = _to_ballot(process, admin, [("Park", 60_000, None), ("Library", 50_000, None),
                                                         ("Lights", 10_000, None)])
    city = _heading(process)
    rita = make_user("rita@example.org", verified=True)
    with pytest.raises(InvalidInput, match="12 points, 2 more than the 10"):
        services.cast_budget_ballot(rita, city, {park.id: 6, library.id: 6})
    with pytest.raises(InvalidInput, match="7 points to Park; a project can get at most 6"):
        services.cast_budget_ballot(rita, city, {park.id: 7})
    with pytest.raises(InvalidInput, match="at least one project"):
        services.cast_budget_ballot(rita, city, {park.id: 0})
    with pytest.raises(InvalidInput, match="whole number"):
        services.cast_budget_ballot(rita, city, {park.id: -1})
    with pytest.raises(InvalidInput, match="not on this heading"):
        services.cast_budget_ballot(rita, city, {9999: 1})
    # Over the money is fine: points say how much each project matters, the count keeps to the budget.
    receipt = services.cast_budget_ballot(rita, city, {lights.id: 4, park.id: 6, library.id: 0})
    db.session.commit()
    stored = db.session.scalar(sa.select(Ballot))
    assert stored.content == {"projects": [park.id, lights.id], "points": [6, 4]}
    with pytest.raises(InvalidInput, match="more than the 10"):  # a change is held to the same limits
        services.cast_budget_ballot(rita, city, {park.id: 6, library.id: 5}, change_key=receipt.change_key)
    with pytest.raises(PhaseClosed, match="locked"):
        services.update_process(admin, process, services.ProcessRules(
            title=process.title, city_amount=100_000, ballot_type="cumulative", total_points=20))
    db.session.rollback()
    assert process.total_points == 10


def test_ranking_ballot_ranks_checked(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin, ballot_type="ranking", max_projects=2, district_amounts={})
    park, library, lights = _to_ballot(process, admin, [("Park", 60_000, None), ("Library", 50_000, None),
                                                         ("Lights", 10_000, None)])
    city = _heading(process)
    rita = make_user("rita@example.org", verified=True)
    with pytest.raises(InvalidInput, match=r"Rank 1 is given to more than one project \(Park, Library\)"):
        services.cast_budget_ballot(rita, city, {park.id: 1, library.id: 1})
    with pytest.raises(InvalidInput, match="rank 1 is missing"):
        services.cast_budget_ballot(rita, city, {park.id: 2})
    with pytest.raises(InvalidInput, match="Ranks go from 1 to 2; Lights has rank 3"):
        services.cast_budget_ballot(rita, city, {park.id: 1, lights.id: 3})
    with pytest.raises(InvalidInput, match="Rank at least one project"):
        services.cast_budget_ballot(rita, city, {})
    with pytest.raises(InvalidInput, match="Rank at most 2 projects; you ranked 3"):  # a list in rank order
        services.cast_budget_ballot(rita, city, [lights.id, park.id, library.id])
    services.cast_budget_ballot(rita, city, {lights.id: 1, park.id: 2})
    db.session.commit()
    assert db.session.scalar(sa.select(Ballot)).content == {"projects": [lights.id, park.id]}


def _close_and_read_back(process, admin, city):
    from voting.budget import allocate as library_allocate
    from voting.budget import parse_pb, rule_from_meta

    services.close_balloting(admin, process)
    db.session.commit()
    pb = services.export_pb(city)
    read = parse_pb(pb)
    rule, options = rule_from_meta(read)
    assert library_allocate(read, rule, **options).to_dict()["selected"] == city.result["selected"]
    return read


@pytest.mark.parametrize("rule", ["mes", "greedy"])
def test_cumulative_count_and_pb_export_read_back(ctx, rule):
    """The hand-checked election of tests/unit/budget (points as utilities): v1 gives a 3 and c 1, v2 a 2
    and b 2, v3 b 3 and c 1; costs 6, 7, 3, budget 12. MES + add1 and greedy by points fund a and c."""
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin, rule=rule, ballot_type="cumulative", total_points=4, max_points=3, city_amount=12,
                       district_amounts={})
    a, b, c = _to_ballot(process, admin, [("Aaa", 6, None), ("Bbb", 7, None), ("Ccc", 3, None)])
    city = _heading(process)
    receipts = [services.cast_budget_ballot(make_user(f"v{i}@example.org", verified=True), city, choice).receipt
                for i, choice in enumerate([{a.id: 3, c.id: 1}, {a.id: 2, b.id: 2}, {b.id: 3, c.id: 1}])]
    db.session.commit()
    read = _close_and_read_back(process, admin, city)
    assert read.vote_type == "cumulative" and read.meta["max_sum_points"] == "4" and read.meta["max_points"] == "3"
    assert sorted(b_.points for b_ in read.ballots) == [(2, 2), (3, 1), (3, 1)]
    assert set(city.result["selected"]) == {str(a.id), str(c.id)}
    assert city.result["project_scores"] == {str(a.id): 5, str(b.id): 5, str(c.id): 2}
    assert city.result["project_votes"] == {str(a.id): 2, str(b.id): 2, str(c.id): 2}
    if rule == "mes":
        assert city.result["options"]["utility"] == "cardinality"
    listed = services.ballots_csv(city).splitlines()
    assert listed[0] == "receipt,projects,points" and f"{a.id} {c.id},3 1" in "\n".join(listed)
    assert services.receipt_lines(city, receipts[0]) == ["Aaa (points: 3)", "Ccc (points: 1)"]
    rows = {r["title"]: r for r in services.result_rows(city)}
    assert rows["Aaa"]["score"] == 5 and rows["Aaa"]["funded"] and not rows["Bbb"]["funded"]
    assert "per point" in rows["Aaa"]["why"] if rule == "mes" else "order of points" in rows["Aaa"]["why"]


@pytest.mark.parametrize("rule", ["mes", "greedy"])
def test_ranking_count_as_borda_points_and_pb_export_read_back(ctx, rule):
    """Two places: a first choice is worth 2 points, a second 1. v1 ranks a, b; v2 c, b; v3 b, a.
    Borda: a 2 + 1 = 3, b 1 + 1 + 2 = 4, c 2. Costs a 4, b 6, c 4, budget 10: greedy funds b (4 points) then
    a (3); c no longer fits."""
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin, rule=rule, ballot_type="ranking", max_projects=2, city_amount=10,
                       district_amounts={})
    a, b, c = _to_ballot(process, admin, [("Aaa", 4, None), ("Bbb", 6, None), ("Ccc", 4, None)])
    city = _heading(process)
    receipts = [services.cast_budget_ballot(make_user(f"v{i}@example.org", verified=True), city, choice).receipt
                for i, choice in enumerate([[a.id, b.id], {c.id: 1, b.id: 2}, [b.id, a.id]])]
    db.session.commit()
    read = _close_and_read_back(process, admin, city)
    assert read.vote_type == "ordinal" and read.meta["max_length"] == "2" and read.position_scores() == (2, 1)
    assert sorted(b_.projects for b_ in read.ballots) == sorted([(str(a.id), str(b.id)), (str(c.id), str(b.id)),
                                                                 (str(b.id), str(a.id))])
    assert city.result["project_scores"] == {str(a.id): 3, str(b.id): 4, str(c.id): 2}
    if rule == "greedy":
        assert city.result["selected"] == [str(b.id), str(a.id)]
    assert services.receipt_lines(city, receipts[1]) == ["1. Ccc", "2. Bbb"]


def _finished_with_funded(admin):
    """A finished greedy budget of 1000: Park (600, two votes) is funded, Library (500, one vote) no longer fits."""
    process = _process(admin, rule="greedy", city_amount=1000, district_amounts={})
    park, library = _to_ballot(process, admin, [("Park", 600, None), ("Library", 500, None)])
    for i, choice in enumerate([[park.id], [park.id], [library.id]]):
        services.cast_budget_ballot(make_user(f"m{i}@example.org", verified=True), _heading(process), choice)
    services.close_balloting(admin, process)
    db.session.commit()
    return process, park, library


def test_milestones_only_by_clerks_on_funded_projects_of_a_finished_budget(ctx):
    from agora.notifications.models import Notification

    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process, park, library = _finished_with_funded(admin)
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    data = services.MilestoneData(title="Design approved", status="done", percent=0, due_on=date(2027, 2, 1))
    with pytest.raises(PhaseClosed, match="once the budget is finished"):  # reviewing ballots still
        services.add_milestone(clerk, park, data)
    services.set_phase(admin, process, "finished")
    assert services.funded_projects(process) == [park] and services.is_funded(park)
    for who in (make_user("rita@example.org", verified=True), make_user("mod@example.org", roles=[Role.MODERATOR]),
                make_user("new@example.org"), None):
        with pytest.raises(PermissionDenied):
            services.add_milestone(who, park, data)
    with pytest.raises(InvalidInput, match="Only funded projects"):
        services.add_milestone(clerk, library, data)
    follower = make_user("fan@example.org", verified=True)
    services.follow_project(follower, park)
    first = services.add_milestone(clerk, park, data)
    assert first.percent == 100  # done counts as 100 %
    second = services.add_milestone(admin, park, services.MilestoneData(title="Works", status="in_progress",
                                                                      percent=40))
    db.session.commit()
    state = services.execution(park)
    assert state["percent"] == 70 and state["status"] == "in_progress"
    assert [m.title for m in state["milestones"]] == ["Design approved", "Works"]  # dated first
    services.update_milestone(clerk, second, services.MilestoneData(title="Works", status="delayed", percent=50))
    assert services.execution(park)["status"] == "delayed"
    services.update_milestone(clerk, second, services.MilestoneData(title="Works", status="done"))
    db.session.commit()
    assert services.execution(park) == {"percent": 100, "status": "completed", "milestones": [first, second]}
    assert [(key, [r["project"] for r in rows]) for key, rows in services.execution_overview(process)] == \
        [("completed", [park])]
    # followers (the author follows their project from submission) are told; the clerk acting is not
    texts = db.session.scalars(sa.select(Notification.message).where(Notification.user_id == follower.id)
                               .order_by(Notification.id)).all()
    assert len(texts) == 4 and "New milestone for “Park”: Design approved (Done)" in texts[0]
    assert "The project is 100% done." in texts[-1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == park.author_id)) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == clerk.id)) == 0
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("budget.milestone.%"))
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["budget.milestone.add"] * 2 + ["budget.milestone.update"] * 2
    last = entries[-1].details_dict
    assert last["before"]["status"] == "delayed" and last["after"]["percent"] == 100


@pytest.mark.parametrize(("data", "field"), [
    ({"title": "ab"}, "title"),
    ({"status": "abandoned"}, "status"),
    ({"percent": 101}, "percent"),
    ({"percent": -1}, "percent"),
    ({"percent": 100, "status": "in_progress"}, "percent"),
    ({"description": "x" * 5001}, "description"),
])
def test_invalid_milestones_name_their_field(ctx, data, field):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process, park, _library = _finished_with_funded(admin)
    services.set_phase(admin, process, "finished")
    with pytest.raises(InvalidInput) as error:
        services.add_milestone(admin, park, services.MilestoneData(**{"title": "Design", **data}))
    assert error.value.field == field


def test_execution_overview_waits_for_results(ctx):
    admin = make_user("pb-admin@example.org", roles=[Role.ADMIN])
    process = _process(admin)
    with pytest.raises(PermissionDenied):
        services.execution_overview(process)


def test_demo_has_a_finished_budget_with_milestones(app, runner):
    assert "Demo data created." in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        finished = next(p for p in services.list_processes() if p.phase == "finished")
        overview = dict(services.execution_overview(finished))
        assert {"in_progress", "delayed", "completed"} <= set(overview)
        tracked = overview["in_progress"][0]
        assert tracked["percent"] == 53 and [m.status for m in tracked["milestones"]] == ["done", "in_progress",
                                                                                          "planned"]
