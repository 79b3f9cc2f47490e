"""Read RCTab test fixtures (config, ES&S .xlsx or CDF .json CVRs, expected report) for golden tests.

Test-only helper: the xlsx files are read with the standard library (zipfile + ElementTree);
nothing here is part of the ``voting`` package.
"""

from __future__ import annotations

import json
import re
import zipfile
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

from voting import OVERVOTE_MARK, Profile

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
UWI = "Undeclared Write-ins"


def _col_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n  # 1-based


def read_xlsx(path: Path) -> list[list[str]]:
    """First worksheet as rows of cell strings (1-based columns, '' for empty)."""
    with zipfile.ZipFile(path) as z:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            for si in root.findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
        sheet = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))[0]
        root = ET.fromstring(z.read(sheet))
    rows: list[list[str]] = []
    for row in root.iter(f"{{{NS['m']}}}row"):
        cells: dict[int, str] = {}
        for c in row.findall("m:c", NS):
            t = c.get("t")
            v = c.find("m:v", NS)
            if t == "s" and v is not None:
                text = shared[int(v.text)]
            elif t == "inlineStr":
                text = "".join(x.text or "" for x in c.iter(f"{{{NS['m']}}}t"))
            else:
                text = v.text if v is not None and v.text is not None else ""
            cells[_col_index(c.get("r"))] = text
        width = max(cells, default=0)
        rows.append([cells.get(i, "") for i in range(1, width + 1)])
    return rows


def _names(config: dict) -> tuple[list[str], dict[str, str]]:
    names = [c["name"] for c in config["candidates"]]
    alias = {n: n for n in names}
    for c in config["candidates"]:
        for a in c.get("aliases", []):
            alias[a] = c["name"]
    return names, alias


def _ess_rankings(src: dict, path: Path, alias: dict[str, str], max_rank: int | None) -> list[list[object]]:
    rows = read_xlsx(path)
    first_row = int(src.get("firstVoteRowIndex") or 2)
    first_col = int(src["firstVoteColumnIndex"])
    delim = src.get("overvoteDelimiter") or None
    ov_label = src.get("overvoteLabel") or None
    skip_label = src.get("skippedRankLabel") or None
    uwi_label = src.get("undeclaredWriteInLabel") or None
    header = rows[first_row - 2] if first_row >= 2 else []
    n_ranks = len([h for h in header[first_col - 1 :] if h.strip()]) or None
    out = []
    for row in rows[first_row - 1 :]:
        # every row of the sheet is a ballot, an empty one an undervote, as RCTab counts them
        # (first_round_determines_threshold_test ends with three such rows)
        cells = row[first_col - 1 :]
        if n_ranks is not None:
            cells = cells[:n_ranks]
        if max_rank is not None:
            cells = cells[:max_rank]
        ranking: list[object] = []
        for cell in cells:
            text = cell.strip()
            if not text or text == skip_label:
                ranking.append(None)
            elif text == ov_label:
                ranking.append(OVERVOTE_MARK)
            else:
                parts = text.split(delim) if delim and delim in text else [text]
                conv = [UWI if (p == uwi_label or p not in alias) else alias[p] for p in parts]
                ranking.append(frozenset(conv) if len(conv) > 1 else conv[0])
        out.append(ranking)
    return out


def _cdf_rankings(path: Path, alias: dict[str, str], max_rank: int | None) -> list[list[object]]:
    d = json.loads(path.read_text())
    election = d["Election"][0]
    cand = {c["@id"]: c["Name"] for c in election["Candidate"]}
    sel = {}
    for contest in election["Contest"]:
        for s in contest["ContestSelection"]:
            ids = s.get("CandidateIds") or []
            sel[s["@id"]] = alias.get(cand[ids[0]], UWI) if ids else UWI
    out = []
    for cvr in d["CVR"]:
        snap = next(s for s in cvr["CVRSnapshot"] if s["@id"] == cvr["CurrentSnapshotId"])
        marks: dict[int, list[str]] = {}
        for contest in snap.get("CVRContest", []):
            for cs in contest.get("CVRContestSelection", []):
                for pos in cs.get("SelectionPosition", []):
                    if pos.get("HasIndication", "yes") != "yes":
                        continue
                    marks.setdefault(int(pos["Rank"]), []).append(sel[cs["ContestSelectionId"]])
        top = max(marks, default=0)
        if max_rank is not None:
            top = min(top, max_rank)
        ranking: list[object] = []
        for r in range(1, top + 1):
            m = marks.get(r, [])
            ranking.append(None if not m else (m[0] if len(m) == 1 else frozenset(m)))
        out.append(ranking)
    return out


@cache
def load(folder: Path) -> tuple[dict, Profile, list[dict]]:
    """(config, profile, expected reports) of one fixture folder; expected may hold several."""
    config_path = next(folder.glob("*_config.json"))
    config = json.loads(config_path.read_text())
    names, alias = _names(config)
    rules = config["rules"]
    max_rank = (
        None if str(rules.get("maxRankingsAllowed", "max")) == "max" else int(rules["maxRankingsAllowed"])
    )
    rankings: list[list[object]] = []
    for src in config["cvrFileSources"]:
        p = folder / src["filePath"]
        if not p.exists():
            p = folder.parent / "_shared" / Path(src["filePath"]).name
        if src["provider"] == "ess":
            rankings += _ess_rankings(src, p, alias, max_rank)
        else:
            rankings += _cdf_rankings(p, alias, max_rank)
    used_uwi = any(e == UWI or (isinstance(e, frozenset) and UWI in e) for r in rankings for e in r)
    cands = names + ([UWI] if used_uwi else [])
    profile = Profile.from_rankings(rankings, candidates=cands)
    expected = [json.loads(p.read_text()) for p in sorted(folder.glob("*_expected_detailed_report.json"))]
    return config, profile, expected


def irv_options(config: dict, profile: Profile, *, rctab_draw: bool = False) -> dict:
    """Our IRV options equivalent to an RCTab single-winner config. RCTab's random mode is our
    lot, or with ``rctab_draw`` its own draw (``"rctab_random"``, seeded from the config)."""
    r = config["rules"]
    skipped = str(r.get("maxSkippedRanksAllowed", "unlimited"))
    max_rank = str(r.get("maxRankingsAllowed", "max"))
    tb = {
        "useCandidateOrder": ("candidate_order",),
        "previousRoundCountsThenRandom": ("previous_rounds", "lot"),
    }.get(r["tiebreakMode"], ("lot",))
    if rctab_draw and r["tiebreakMode"] == "random":
        tb = ("rctab_random",)
    return {
        "overvote": {
            "exhaustImmediately": "exhaust_immediately",
            "alwaysSkipToNextRank": "skip_to_next",
            "exhaustIfMultipleContinuing": "exhaust_if_multiple_continuing",
        }[r["overvoteRule"]],
        "max_skipped": None if skipped == "unlimited" else int(skipped),
        "max_rankings": None if max_rank == "max" else int(max_rank),
        "duplicates": "exhaust" if r.get("exhaustOnDuplicateCandidate") else "skip",
        "batch_elimination": bool(r.get("batchElimination")),
        "threshold": "first_round" if r.get("doesFirstRoundDetermineThreshold") else "continuing",
        "continue_until_two": bool(r.get("continueUntilTwoCandidatesRemain")),
        "eliminate_first": (UWI,) if UWI in profile.candidates else (),
        "tie_break": tb,
        "excluded": tuple(c["name"] for c in config["candidates"] if c.get("excluded")),
        **({"rng": int(r["randomSeed"])} if rctab_draw and tb == ("rctab_random",) else {}),
    }


def stv_options(config: dict, profile: Profile) -> dict:
    """Our WIGM STV options equivalent to an RCTab multi-winner config (fractional surpluses
    truncated to the config's decimals)."""
    r = config["rules"]
    opts = irv_options(config, profile)
    for key in ("batch_elimination", "threshold", "continue_until_two"):
        opts.pop(key)
    return {
        "seats": int(r["numberOfWinners"]),
        "rule": "wigm",
        "quota": "droop_fractional" if r.get("nonIntegerWinningThreshold") else "droop",
        "decimals": int(r["decimalPlacesForVoteArithmetic"]),
        "one_winner_per_round": r["winnerElectionMode"] == "multiWinnerAllowOnlyOneWinnerPerRound",
        **opts,
    }
