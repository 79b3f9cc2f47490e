"""The published CSV cast-vote record, recounted by the command the results page shows
(``python -m voting rank vote-N-cvr.csv ...``), gives the app's winners and rounds."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import make_user

from agora.db import db, utcnow
from agora.permissions import Role
from agora.votes import services

REPO = Path(__file__).resolve().parents[2]
CASES = {
    # A tie between Alpha and Bravo broken by the published lot; "Zulu, the 'quiet' one" gets no vote
    # but is listed first (ballot order is kept, names with commas and quotes survive the CSV).
    "irv-lot": dict(options=["Zulu, the 'quiet' one", "Alpha", "Bravo", "Charlie"], method="irv",
                    ballots=[{"Alpha": 1, "Charlie": 2}, {"Bravo": 1}, {"Charlie": 1, "Bravo": 2},
                             {"Alpha": 1}, {"Bravo": 1, "Alpha": 2}, {"Charlie": 1, "Alpha": 2}]),
    # Ballot order decides the tie: a reader that sorted the names would elect Alpha instead of Zed.
    "borda-ballot-order": dict(options=["Zed", "Alpha", "Mid"], method="borda", tie_break="candidate_order,lot",
                               ballots=[{"Zed": 1, "Alpha": 2}, {"Alpha": 1, "Zed": 2}]),
    # STV for two seats, with shared ranks counted under the announced rule.
    "stv-overvotes": dict(options=["A", "B", "C", "D"], method="stv", seats=2, overvote_rule="skip_to_next",
                          ballots=[{"A": 1, "B": 2}, {"A": 1, "C": 2}, {"A": 1, "B": 1, "D": 2}, {"B": 1},
                                   {"C": 1, "D": 2}, {"D": 1, "C": 2}, {"C": 1}, {"A": 1, "D": 2}]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_csv_export_recounted_by_the_shown_command_gives_the_same_result(app, client, tmp_path, case):
    spec = dict(CASES[case])
    ballots = spec.pop("ballots")
    now = utcnow()
    with app.app_context():
        admin = make_user("admin@example.org", roles=[Role.ADMIN])
        vote = services.create_vote(admin, services.VoteRules(
            title=f"Recount {case}", opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1),
            lot_seed=20261124, **spec))
        db.session.commit()
        ids = {o.label: o.id for o in vote.options}
        for i, ranks in enumerate(ballots):
            voter = make_user(f"voter{i}@example.org", verified=True)
            services.cast_vote(voter, vote, {ids[label]: rank for label, rank in ranks.items()})
            db.session.commit()
        vote.closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        vote_id = vote.id
    page = client.get(f"/votes/{vote_id}/results").get_data(as_text=True)
    match = re.search(r'<code id="recount-command-csv">(.*?)</code>', page)
    assert match, "the results page shows the command for the CSV file"
    command = html.unescape(match.group(1))
    assert command.startswith(f"python -m voting rank vote-{vote_id}-cvr.csv --method {spec['method']}")
    response = client.get(f"/votes/{vote_id}/cvr.csv")
    filename = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)
    (tmp_path / filename).write_bytes(response.data)
    # This repository's ``voting`` package, whatever the environment has installed.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, *command.split()[1:], "--json"], cwd=tmp_path, capture_output=True,
                         text=True, check=False, env=env)
    assert run.returncode == 0, run.stderr
    recount = json.loads(run.stdout)
    published = client.get(f"/votes/{vote_id}/result.json").get_json()
    assert published["csv_command"] == command
    result = published["result"]
    assert recount["winners"] == result["winners"] and result["winners"]
    assert recount["rounds"] == result["rounds"]
    assert recount["candidates"] == result["candidates"] == spec["options"]
    if case == "irv-lot":
        assert result["tie_breaks"] and recount["tie_breaks"] == result["tie_breaks"]
    if case == "borda-ballot-order":
        assert result["winners"] == ["Zed"]
