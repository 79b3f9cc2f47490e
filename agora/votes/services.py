"""Ranked votes: create and lock the rules, cast secret ranked ballots, count after closing.

The counting is done by the pure :mod:`voting` library; ballots live in the shared secret
ballot box (:mod:`agora.ballots`). Results, ballots and exports stay hidden from everyone,
administrators included, until the vote closes. The count runs synchronously on the first
request for results after closing and is stored (a background job can take over for very
large votes later).
"""

from __future__ import annotations

import csv
import io
import secrets
import shlex
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from agora import audit, jobs
from agora.ballots import services as ballot_box
from agora.ballots.services import CastReceipt
from agora.db import db, unit_of_work, utcnow
from agora.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PhaseClosed
from agora.permissions import Permission, object_rule, require
from agora.votes.models import Vote, VoteOption

if TYPE_CHECKING:
    from agora.accounts.models import User

METHODS = {
    "irv": _l("Instant runoff (IRV), one seat"),
    "stv": _l("Single transferable vote (STV), several seats"),
    "schulze": _l("Schulze (Condorcet), one seat"),
    "ranked-pairs": _l("Ranked pairs (Condorcet), one seat"),
    "copeland": _l("Copeland (Condorcet), one seat"),
    "minimax": _l("Minimax (Condorcet), one seat"),
    "borda": _l("Borda count, one seat"),
    "plurality": _l("Plurality (first choices only), one seat"),
}
# Methods that read ballots rank by rank and so apply an overvote rule.
WALK_METHODS = ("irv", "stv", "plurality")
STV_RULES = {
    "wigm": _l("Weighted inclusive Gregory (exact)"),
    "scottish": _l("Scottish STV (5 decimals)"),
    "ers97": _l("ERS97-style last parcel"),
    "meek": _l("Meek"),
}
OVERVOTE_RULES = {
    "reject": _l("Refused: each rank may hold one option only"),
    "exhaust_immediately": _l("Accepted; the ballot stops counting when it reaches a shared rank"),
    "skip_to_next": _l("Accepted; a shared rank is skipped"),
    "exhaust_if_multiple_continuing": _l(
        "Accepted; a shared rank counts for the one option still in the race, stops the ballot if several are"),
    "equal": _l("Accepted; options at the same rank count as equally preferred"),
}
SKIPPED_RULES = {
    "reject": _l("Refused: number your choices 1, 2, 3… without gaps"),
    "ignore": _l("Accepted; gaps are closed up (1, 3 counts as 1, 2)"),
}
TIE_BREAKS = {
    "previous_rounds,lot": _l("Earlier rounds (latest first), then the published lot"),
    "earliest_round,lot": _l("Earliest round with unequal totals, then the published lot"),
    "candidate_order,lot": _l("Order of the options on the ballot"),
    "lot": _l("The published lot"),
}
ROUND_TIE_BREAKS = ("previous_rounds,lot", "earliest_round,lot")
ELIGIBILITY = {"all": _l("All verified residents"), "district": _l("Verified residents of one district"),
               "panel": _l("The members of one citizens' panel")}
INACTIVE_CAUSES = {
    "exhausted_choices": _l("No more choices"),
    "overvote": _l("Shared rank (overvote)"),
    "skipped_rankings": _l("Skipped ranks"),
    "repeated_ranking": _l("Repeated option"),
}
TIE_BREAK_STEPS = {
    "previous_rounds": _l("earlier rounds"),
    "earliest_round": _l("earliest round"),
    "candidate_order": _l("ballot order"),
    "lot": _l("lot"),
}
MAX_OPTIONS = 30
MAX_SEED = 2**62


@dataclass
class VoteRules:
    """Everything an administrator decides about a vote; validated as a whole."""

    title: str
    options: list[str]
    opens_at: datetime
    closes_at: datetime
    description: str = ""
    seats: int = 1
    method: str | None = None
    stv_rule: str = "wigm"
    overvote_rule: str = "reject"
    skipped_rule: str = "reject"
    tie_break: str | None = None
    lot_seed: int | None = None
    eligibility: str = "all"
    district_id: int | None = None
    panel_id: int | None = None


def default_method(seats: int) -> str:
    return "irv" if seats == 1 else "stv"


def default_tie_break(method: str) -> str:
    return {"irv": "previous_rounds,lot", "stv": "earliest_round,lot"}.get(method, "lot")


def status(vote: Vote, now: datetime | None = None) -> str:
    """``"upcoming"``, ``"open"`` or ``"closed"``."""
    now = now or utcnow()
    if now < _aware(vote.opens_at):
        return "upcoming"
    if now < _aware(vote.closes_at):
        return "open"
    return "closed"


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored as UTC.
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _clean_rules(rules: VoteRules) -> VoteRules:
    title = " ".join((rules.title or "").split())
    if not 3 <= len(title) <= 200:
        raise InvalidInput(_("The question needs 3 to 200 characters."), field="title")
    options = [" ".join(o.split()) for o in rules.options if o and o.strip()]
    if not 2 <= len(options) <= MAX_OPTIONS:
        raise InvalidInput(_("Give between 2 and %(n)d options, one per line.", n=MAX_OPTIONS), field="options")
    for option in options:
        if len(option) > 120:
            raise InvalidInput(_("An option has at most 120 characters: %(option)s", option=option[:40] + "…"),
                               field="options")
        if "=" in option or option.startswith("#") or option.lower() == "overvote":
            # These would be misread in the published CSV and PrefLib files.
            raise InvalidInput(_("An option may not contain “=”, start with “#” or be the word “overvote”: "
                                 "%(option)s", option=option), field="options")
    lowered = [o.casefold() for o in options]
    duplicates = sorted({o for o in options if lowered.count(o.casefold()) > 1})
    if duplicates:
        raise InvalidInput(_("Each option must be different: %(option)s appears twice.", option=duplicates[0]),
                           field="options")
    seats = int(rules.seats or 1)
    if not 1 <= seats < len(options):
        raise InvalidInput(_("Seats must be at least 1 and fewer than the options."), field="seats")
    method = rules.method or default_method(seats)
    if method not in METHODS:
        raise InvalidInput(_("Choose a counting method from the list."), field="method")
    if seats > 1 and method != "stv":
        raise InvalidInput(_("Only STV fills several seats; choose STV or one seat."), field="method")
    if rules.stv_rule not in STV_RULES:
        raise InvalidInput(_("Choose an STV rule from the list."), field="stv_rule")
    if rules.overvote_rule not in OVERVOTE_RULES:
        raise InvalidInput(_("Choose a rule for shared ranks from the list."), field="overvote_rule")
    if rules.overvote_rule == "equal" and method in WALK_METHODS:
        raise InvalidInput(_("“Equally preferred” applies to Condorcet and Borda counts only."),
                           field="overvote_rule")
    if rules.overvote_rule not in ("reject", "equal") and method not in WALK_METHODS:
        raise InvalidInput(_("This method counts shared ranks as equal preferences: choose “refused” or "
                             "“equally preferred”."), field="overvote_rule")
    if method == "stv" and rules.stv_rule == "meek" and rules.overvote_rule == "exhaust_if_multiple_continuing":
        raise InvalidInput(_("Meek STV cannot apply this rule for shared ranks."), field="overvote_rule")
    if rules.skipped_rule not in SKIPPED_RULES:
        raise InvalidInput(_("Choose a rule for skipped ranks from the list."), field="skipped_rule")
    tie_break = rules.tie_break or default_tie_break(method)
    if tie_break not in TIE_BREAKS:
        raise InvalidInput(_("Choose a tie-break rule from the list."), field="tie_break")
    if tie_break in ROUND_TIE_BREAKS and method not in ("irv", "stv"):
        raise InvalidInput(_("Only IRV and STV have rounds to compare; choose another tie-break rule."),
                           field="tie_break")
    seed = rules.lot_seed if rules.lot_seed is not None else secrets.randbelow(2**31)
    if not 0 <= seed < MAX_SEED:
        raise InvalidInput(_("The lot seed is a whole number from 0 to %(max)d.", max=MAX_SEED - 1),
                           field="lot_seed")
    if rules.eligibility not in ELIGIBILITY:
        raise InvalidInput(_("Choose who may vote."), field="eligibility")
    district_id = rules.district_id if rules.eligibility == "district" else None
    if rules.eligibility == "district":
        from agora.census.models import District

        if district_id is None or db.session.get(District, district_id) is None:
            raise InvalidInput(_("Choose the district whose residents may vote."), field="district_id")
    panel_id = rules.panel_id if rules.eligibility == "panel" else None
    if rules.eligibility == "panel":
        from agora.panels.models import Panel

        if panel_id is None or db.session.get(Panel, panel_id) is None:
            raise InvalidInput(_("Choose the panel whose members may vote."), field="panel_id")
    if rules.opens_at is None or rules.closes_at is None:
        raise InvalidInput(_("Give the opening and closing times."), field="opens_at")
    opens_at, closes_at = _aware(rules.opens_at), _aware(rules.closes_at)
    if closes_at <= opens_at:
        raise InvalidInput(_("The vote must close after it opens."), field="closes_at")
    if closes_at <= utcnow():
        raise InvalidInput(_("The closing time is in the past."), field="closes_at")
    return VoteRules(title=title, options=options, opens_at=opens_at, closes_at=closes_at,
                     description=(rules.description or "").strip(), seats=seats, method=method,
                     stv_rule=rules.stv_rule, overvote_rule=rules.overvote_rule, skipped_rule=rules.skipped_rule,
                     tie_break=tie_break, lot_seed=seed, eligibility=rules.eligibility, district_id=district_id,
                     panel_id=panel_id)


def _apply(vote: Vote, rules: VoteRules) -> None:
    for name in ("title", "description", "seats", "method", "stv_rule", "overvote_rule", "skipped_rule",
                 "tie_break", "lot_seed", "eligibility", "district_id", "panel_id", "opens_at", "closes_at"):
        setattr(vote, name, getattr(rules, name))
    current = [o.label for o in vote.options]
    if current != rules.options:
        # Options that stay keep their row (and so their link to a proposal); the others go.
        kept = {o.label: o for o in vote.options if o.label in rules.options}
        for option in [o for o in vote.options if o.label not in kept]:
            vote.options.remove(option)
        db.session.flush()
        for position, label in enumerate(rules.options, start=1):
            if label in kept:
                kept[label].position = position
            else:
                vote.options.append(VoteOption(position=position, label=label))
        vote.options.sort(key=lambda o: o.position)


def create_vote(actor: User, rules: VoteRules) -> Vote:
    """Create a vote with its announced rules. Administrators; audited. Raises InvalidInput."""
    require(actor, Permission.VOTES_MANAGE)
    clean = _clean_rules(rules)
    vote = Vote(created_by_id=actor.id)
    db.session.add(vote)
    _apply(vote, clean)
    db.session.flush()
    audit.record(actor, "vote.create", vote, details=_rules_details(vote))
    return vote


def update_vote(actor: User, vote: Vote, rules: VoteRules) -> Vote:
    """Change a vote's rules or options; refused with PhaseClosed once the vote has opened."""
    require(actor, Permission.VOTES_MANAGE)
    _lock_vote(vote)
    if status(vote) != "upcoming":
        raise PhaseClosed(_("The vote has opened: its rules and options are locked."))
    _apply(vote, _clean_rules(rules))
    db.session.flush()
    audit.record(actor, "vote.update", vote, details=_rules_details(vote))
    return vote


def rules_of(vote: Vote) -> VoteRules:
    """The vote's current rules, to change one thing and validate the whole again."""
    return VoteRules(title=vote.title, options=[o.label for o in vote.options], opens_at=vote.opens_at,
                     closes_at=vote.closes_at, description=vote.description, seats=vote.seats, method=vote.method,
                     stv_rule=vote.stv_rule, overvote_rule=vote.overvote_rule, skipped_rule=vote.skipped_rule,
                     tie_break=vote.tie_break, lot_seed=vote.lot_seed, eligibility=vote.eligibility,
                     district_id=vote.district_id, panel_id=vote.panel_id)


def option_label(text: str) -> str:
    """A ballot label made from free text (a proposal's title): one line, at most 120 characters, and
    without the characters the published CSV and PrefLib files reserve."""
    label = " ".join((text or "").replace("=", "-").split()).lstrip("#").strip()
    if label.lower() == "overvote":
        label = f"“{label}”"
    return label if len(label) <= 120 else label[:119].rstrip() + "…"


def add_option(actor: User, vote: Vote, label: str, *, proposal_id: int | None = None) -> VoteOption:
    """Add one option at the end of an upcoming vote's ballot (administrators; audited).

    Raises PhaseClosed once the vote has opened (its options are locked), InvalidInput when the
    option breaks the vote's rules (a duplicate label, too many options...).
    """
    require(actor, Permission.VOTES_MANAGE)
    _lock_vote(vote)
    if status(vote) != "upcoming":
        raise PhaseClosed(_("The vote “%(title)s” has opened: its options are locked.", title=vote.title))
    label = " ".join((label or "").split())
    if not label:
        raise InvalidInput(_("Give the option's label."), field="label")
    if proposal_id is not None and any(o.proposal_id == proposal_id for o in vote.options):
        raise Conflict(_("This proposal is already an option in the vote “%(title)s”.", title=vote.title))
    rules = rules_of(vote)
    rules.options = [*rules.options, label]
    clean = _clean_rules(rules)
    option = VoteOption(position=len(vote.options) + 1, label=clean.options[-1], proposal_id=proposal_id)
    vote.options.append(option)
    db.session.flush()
    audit.record(actor, "vote.add_option", vote, details={"option": option.label, "proposal_id": proposal_id})
    return option


def list_upcoming_votes() -> list[Vote]:
    """Votes that have not opened yet: the only ones that still take new options."""
    return list(db.session.scalars(select(Vote).where(Vote.opens_at > utcnow()).order_by(Vote.opens_at, Vote.id)))


def close_vote(actor: User, vote: Vote) -> Vote:
    """Close an open vote now (before its announced time). Administrators; audited."""
    require(actor, Permission.VOTES_MANAGE)
    _lock_vote(vote)
    if status(vote) != "open":
        raise PhaseClosed(_("Only an open vote can be closed."))
    vote.closes_at = utcnow()
    db.session.flush()
    audit.record(actor, "vote.close", vote, details={"closes_at": vote.closes_at.isoformat()})
    return vote


def open_vote(actor: User, vote: Vote) -> Vote:
    """Open an upcoming vote now; its rules lock from this moment. Administrators; audited."""
    require(actor, Permission.VOTES_MANAGE)
    _lock_vote(vote)
    if status(vote) != "upcoming":
        raise PhaseClosed(_("Only an upcoming vote can be opened."))
    vote.opens_at = utcnow()
    db.session.flush()
    audit.record(actor, "vote.open", vote, details={"opens_at": vote.opens_at.isoformat()})
    return vote


def _lock_vote(vote: Vote) -> None:
    db.session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())
    db.session.refresh(vote)


def _rules_details(vote: Vote) -> dict[str, Any]:
    return {"title": vote.title, "options": [o.label for o in vote.options], "method": vote.method,
            "seats": vote.seats, "stv_rule": vote.stv_rule, "overvote_rule": vote.overvote_rule,
            "skipped_rule": vote.skipped_rule, "tie_break": vote.tie_break, "lot_seed": vote.lot_seed,
            "eligibility": vote.eligibility, "district_id": vote.district_id, "panel_id": vote.panel_id,
            "opens_at": _aware(vote.opens_at).isoformat(), "closes_at": _aware(vote.closes_at).isoformat()}


def panels_with_members() -> list:
    """Panels that have seated members, for the "panel members vote" choice."""
    from agora.panels.models import Panel, PanelMember

    seated = select(PanelMember.panel_id)
    return list(db.session.scalars(select(Panel).where(Panel.id.in_(seated)).order_by(Panel.title)))


def list_votes() -> list[Vote]:
    return list(db.session.scalars(select(Vote).order_by(Vote.closes_at.desc(), Vote.id.desc())))


def get_vote(vote_id: int) -> Vote:
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise NotFound(_("There is no such vote."))
    return vote


def contest(vote: Vote) -> str:
    return ballot_box.contest_key("vote", vote.id)


# --- eligibility and casting -----------------------------------------------------------------

@object_rule(Permission.VOTE_CAST)
def _eligible(user: User, vote: Vote) -> bool:
    if not user.is_verified:
        return False  # administrators hold every permission, but vote only as verified residents
    if vote.eligibility == "panel":
        from agora.panels.models import PanelMember

        # Seated members (not facilitators) who have not left the panel; still verified residents.
        return db.session.scalar(select(PanelMember.id).where(
            PanelMember.panel_id == vote.panel_id, PanelMember.user_id == user.id, PanelMember.role == "member",
            PanelMember.left_at.is_(None))) is not None
    return vote.eligibility == "all" or (user.district is not None and user.district.id == vote.district_id)


def ballot_from_ranks(vote: Vote, ranks: dict[int, int | None]) -> list[list[int]]:
    """Turn ``{option id: rank or None}`` into the stored ballot: a list of ranks of option ids.

    Applies the announced rules: shared ranks and gaps are refused or accepted as announced (gaps
    are closed up). Raises InvalidInput with a message that names the rank and the options.
    """
    labels = {o.id: o.label for o in vote.options}
    n = len(labels)
    by_rank: dict[int, list[int]] = defaultdict(list)
    for option_id, rank in ranks.items():
        if option_id not in labels:
            raise InvalidInput(_("This ballot names an option that is not in this vote."))
        if rank is None:
            continue
        if not 1 <= rank <= n:
            raise InvalidInput(_("Ranks go from 1 to %(n)d.", n=n))
        by_rank[rank].append(option_id)
    if not by_rank:
        raise InvalidInput(_("Rank at least one option: give your first choice rank 1."))
    used = sorted(by_rank)
    shared = [r for r in used if len(by_rank[r]) > 1]
    if shared and vote.overvote_rule == "reject":
        rank = shared[0]
        names = ", ".join(labels[i] for i in sorted(by_rank[rank], key=lambda i: list(labels).index(i)))
        raise InvalidInput(_("Rank %(rank)d is given to more than one option (%(options)s). Give each option "
                             "its own rank.", rank=rank, options=names))
    gaps = [r for r in range(1, used[-1]) if r not in by_rank]
    if gaps and vote.skipped_rule == "reject":
        raise InvalidInput(_("Rank %(rank)d is missing. Number your choices 1, 2, 3… without gaps.",
                             rank=gaps[0]))
    order = list(labels)
    return [sorted(by_rank[r], key=order.index) for r in used]


def cast_vote(actor: User, vote: Vote, ranks: dict[int, int | None]) -> CastReceipt:
    """Cast the actor's secret ranked ballot; one per eligible voter, never changeable.

    Raises PermissionDenied (not eligible), PhaseClosed (not open), InvalidInput (ballot against
    the announced rules) or Conflict (already voted, also under concurrency).
    """
    require(actor, Permission.VOTE_CAST, vote)
    if status(vote) != "open":
        raise PhaseClosed(_("This vote is not open for voting."))
    content = ballot_from_ranks(vote, ranks)
    return ballot_box.cast_ballot(actor, contest(vote), content, changeable=False)


def has_voted(user: User | None, vote: Vote) -> bool:
    return ballot_box.has_voted(user, contest(vote))


def turnout(vote: Vote) -> int:
    return ballot_box.count_voters(contest(vote))


# --- results and exports (only after closing) ------------------------------------------------

def require_closed(vote: Vote) -> None:
    """Results, ballots and exports are hidden from everyone until the vote closes."""
    if status(vote) != "closed":
        raise PermissionDenied(_("Results stay hidden from everyone, administrators included, until the vote "
                                 "closes."))


def _rankings(vote: Vote) -> list[tuple[str, list[Any]]]:
    labels = {o.id: o.label for o in vote.options}
    out = []
    for ballot in ballot_box.list_ballots(contest(vote)):
        ranking = [labels[r[0]] if len(r) == 1 else frozenset(labels[i] for i in r) for r in ballot.content]
        out.append((ballot.receipt, ranking))
    return out


def library_options(vote: Vote) -> dict[str, Any]:
    """The keyword options given to :func:`voting.tabulate` for this vote's announced rules."""
    options: dict[str, Any] = {"tie_break": tuple(vote.tie_break.split(",")), "rng": int(vote.lot_seed)}
    if vote.method in WALK_METHODS:
        options["overvote"] = vote.overvote_rule if vote.overvote_rule not in ("reject", "equal") \
            else "exhaust_immediately"
    if vote.method == "stv":
        options.update(seats=vote.seats, rule=vote.stv_rule)
    return options


def count(vote: Vote) -> dict[str, Any]:
    """Count the ballots with the announced rules; returns ``RankedResult.to_dict()``."""
    from voting import Profile, tabulate

    rankings = [r for _receipt, r in _rankings(vote)]
    if not rankings:
        return {"method": vote.method, "candidates": [o.label for o in vote.options], "seats": vote.seats,
                "winners": [], "n_ballots": 0, "rounds": [], "tie_breaks": [], "inactive": {}}
    profile = Profile.from_rankings(rankings, candidates=[o.label for o in vote.options])
    return tabulate(profile, vote.method, **library_options(vote)).to_dict()


def get_results(vote: Vote) -> dict[str, Any] | None:
    """The stored count. The first time after closing it is counted now, or, when the vote has more
    than ``VOTES_BACKGROUND_TALLY_BALLOTS`` ballots, by a background job (see :func:`tally_job`):
    None until that job has stored it."""
    require_closed(vote)
    if vote.result is None:
        _lock_vote(vote)
        if vote.result is None:
            if turnout(vote) > current_app.config["VOTES_BACKGROUND_TALLY_BALLOTS"]:
                tally_job(vote, start=True)
                return None
            _store_count(vote, count(vote))
    return vote.result


def _store_count(vote: Vote, result: dict[str, Any]) -> None:
    vote.result = result
    vote.tallied_at = utcnow()
    db.session.flush()
    audit.record(None, "vote.tally", vote, details={"winners": result["winners"], "ballots": result["n_ballots"]})


def tally_job(vote: Vote, *, start: bool = False) -> jobs.Job | None:
    """The newest background count of this vote; with ``start``, a new one unless one is queued or running."""
    latest = None
    newest_first = select(jobs.Job).where(jobs.Job.kind == "votes.tally").order_by(jobs.Job.id.desc())
    for job in db.session.scalars(newest_first):
        if (job.payload or {}).get("vote_id") == vote.id:
            latest = job
            break
    if start and (latest is None or latest.status == jobs.FAILED):
        latest = jobs.enqueue("votes.tally", {"vote_id": vote.id})
    return latest


@jobs.handler("votes.tally")
def _tally_job(job_id: int, payload: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
    """Count a large vote outside any request; the vote row is locked only to store the result."""
    vote = db.session.get(Vote, int(payload["vote_id"]))
    if vote is None:
        raise NotFound(_("There is no such vote."))
    report(0.1, "reading the ballots")
    result = count(vote) if vote.result is None else None
    db.session.remove()
    report(0.9, "storing the count")
    with unit_of_work():
        vote = db.session.get(Vote, int(payload["vote_id"]))
        _lock_vote(vote)
        if vote.result is None and result is not None:
            _store_count(vote, result)
        return {"winners": vote.result["winners"], "ballots": vote.result["n_ballots"]}


def find_receipt(vote: Vote, receipt: str) -> list[list[str]] | None:
    """The published content of the ballot with this receipt (after closing), or None."""
    require_closed(vote)
    ballot = ballot_box.find_ballot(contest(vote), receipt)
    if ballot is None:
        return None
    labels = {o.id: o.label for o in vote.options}
    return [[labels[i] for i in rank] for rank in ballot.content]


def export_name(vote: Vote, suffix: str) -> str:
    return f"vote-{vote.id}-{suffix}"


def cvr_csv(vote: Vote) -> str:
    """The anonymised cast-vote record: one line per ballot, by receipt; ``A=B`` for a shared rank.

    The first line, ``#candidates,...``, lists the options in ballot order, so ``python -m voting
    rank`` reads the file as it is (see :mod:`voting.io`) and counts exactly as the app did.
    """
    require_closed(vote)
    rows = _rankings(vote)
    width = max([len(r) for _receipt, r in rows] + [1])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["#candidates", *[o.label for o in vote.options]])
    writer.writerow(["receipt", *[f"rank{i}" for i in range(1, width + 1)]])
    for receipt, ranking in rows:
        cells = ["=".join(sorted(r, key=[o.label for o in vote.options].index)) if isinstance(r, frozenset)
                 else r for r in ranking]
        writer.writerow([receipt, *cells, *[""] * (width - len(cells))])
    return out.getvalue()


def cvr_toi(vote: Vote) -> str:
    """The same ballots as a PrefLib ``.toi`` file (orders with ties, identical ballots counted)."""
    require_closed(vote)
    number = {o.label: i for i, o in enumerate(vote.options, start=1)}
    tally: Counter[str] = Counter()
    for _receipt, ranking in _rankings(vote):
        parts = []
        for r in ranking:
            if isinstance(r, frozenset):
                parts.append("{" + ",".join(str(n) for n in sorted(number[c] for c in r)) + "}")
            else:
                parts.append(str(number[r]))
        tally[",".join(parts)] += 1
    title = " ".join(vote.title.split())
    lines = [
        f"# FILE NAME: {export_name(vote, 'cvr.toi')}",
        f"# TITLE: {title}",
        "# DATA TYPE: toi",
        "# MODIFICATION TYPE: original",
        f"# NUMBER ALTERNATIVES: {len(number)}",
        f"# NUMBER VOTERS: {sum(tally.values())}",
        f"# NUMBER UNIQUE ORDERS: {len(tally)}",
        *[f"# ALTERNATIVE NAME {i}: {label}" for label, i in number.items()],
    ]
    lines += [f"{n}: {order}" for order, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]
    return "\n".join(lines) + "\n"


def reproduce_command(vote: Vote, export: str = "cvr.toi") -> str:
    """The exact command that recounts a published cast-vote record (``cvr.toi`` or ``cvr.csv``)."""
    if export not in ("cvr.toi", "cvr.csv"):
        raise ValueError(f"no command for the export {export!r}")
    options = library_options(vote)
    parts = ["python", "-m", "voting", "rank", export_name(vote, export), "--method", vote.method]
    if vote.method == "stv":
        parts += ["--seats", str(vote.seats), "--stv-rule", vote.stv_rule]
    if "overvote" in options:
        parts += ["--overvote", options["overvote"]]
    parts += ["--tie-break", vote.tie_break, "--seed", str(vote.lot_seed)]
    return " ".join(shlex.quote(p) for p in parts)
