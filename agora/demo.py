"""A small demo city: districts, a census register, one account per role and sample content."""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from agora.accounts import services as accounts
from agora.accounts.models import User
from agora.census import services as census
from agora.census.models import CensusEntry
from agora.db import db, utcnow
from agora.permissions import Role

DEMO_PASSWORD = "agora-demo-2026"  # noqa: S105 (published demo logins, development only)
DISTRICTS = ["Centrum", "Heverlee", "Kessel-Lo", "Wilsele", "Wijgmaal"]
POSTAL = {"Centrum": "3000", "Heverlee": "3001", "Kessel-Lo": "3010", "Wilsele": "3012", "Wijgmaal": "3018"}
# (e-mail, name, staff role, census document number or None)
ACCOUNTS = [
    ("admin@agora.example", "Ada Admin", Role.ADMIN, None),
    ("clerk@agora.example", "Claire Clerk", Role.CLERK, None),
    ("moderator@agora.example", "Mo Moderator", Role.MODERATOR, None),
    ("resident@agora.example", "Rita Resident", None, "DEMO0001"),
    ("newcomer@agora.example", "Noah Newcomer", None, None),
]
# A census entry left free so a visitor can try verification with the newcomer account.
TRY_DOCUMENT, TRY_BIRTH, TRY_POSTAL = "DEMO0002", date(1990, 5, 17), "3010"


FIRST_NAMES = ["An", "Bram", "Chloé", "Dries", "Elif", "Fatima", "Geert", "Hanne", "Ilias", "Julie", "Karim", "Lotte",
               "Mohamed", "Nina", "Olivier", "Pieter", "Rania", "Sofie", "Thomas", "Yasmine", "Lucía", "Marc"]
LAST_NAMES = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet",
              "El Amrani", "Dubois", "Lambert", "García", "Vermeulen", "Aydın", "Hermans", "Michiels"]
STREETS = {
    "Centrum": ["Naamsestraat", "Tiensestraat", "Brusselsestraat"],
    "Heverlee": ["Naamsesteenweg", "Celestijnenlaan"],
    "Kessel-Lo": ["Diestsesteenweg", "Holsbeeksesteenweg", "Martelarenlaan"],
    "Wilsele": ["Aarschotsesteenweg"],
    "Wijgmaal": ["Wakkerzeelsestraat"],
}


def demo_census_csv(n: int = 400, seed: int = 3010) -> str:
    """A synthetic census register; entries 1 and 2 are the documented demo residents.

    Names, addresses (households of one to a few residents) and languages come from a second
    generator, so the documents, birth dates and districts are those of earlier demo versions.
    """
    rng = np.random.default_rng(seed)
    people = np.random.default_rng(seed + 1)
    languages = ["nl"] * 7 + ["fr", "en", "es", ""]
    last_address: dict[str, str] = {}
    house_numbers = dict.fromkeys(DISTRICTS, 0)

    def person(district: str) -> str:
        if district in last_address and people.random() < 0.45:
            address = last_address[district]  # shares the previous resident's address: same household
        else:
            house_numbers[district] += 1
            streets = STREETS[district]
            address = f"{streets[house_numbers[district] % len(streets)]} {house_numbers[district]}"
            last_address[district] = address
        name = f"{FIRST_NAMES[people.integers(len(FIRST_NAMES))]} {LAST_NAMES[people.integers(len(LAST_NAMES))]}"
        return f"{name},{address},{languages[people.integers(len(languages))]}"

    lines = ["document_number,date_of_birth,postal_code,district,full_name,address,language",
             f"DEMO0001,1985-03-02,3010,Kessel-Lo,{person('Kessel-Lo')}",
             f"{TRY_DOCUMENT},{TRY_BIRTH.isoformat()},{TRY_POSTAL},Kessel-Lo,{person('Kessel-Lo')}"]
    weights = np.array([0.18, 0.26, 0.3, 0.16, 0.1])
    for i in range(3, n + 1):
        district = DISTRICTS[rng.choice(len(DISTRICTS), p=weights)]
        born = date(int(rng.integers(1935, 2009)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        lines.append(f"DEMO{i:04d},{born.isoformat()},{POSTAL[district]},{district},{person(district)}")
    return "\n".join(lines) + "\n"


def seed() -> bool:
    """Create the demo city in an empty database. Returns False if there are accounts already."""
    if db.session.scalar(select(func.count()).select_from(User)):
        return False
    census.import_census("demo", demo_census_csv(), filename="demo-census.csv")
    for email, name, role, document in ACCOUNTS:
        user = User(email=email, display_name=name, password_hash="", email_confirmed_at=utcnow())
        user.password_hash = generate_password_hash(DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
        if role is not None:
            accounts.grant_role("demo", user, role)
        if document is not None:
            entry = db.session.scalar(
                select(CensusEntry).where(CensusEntry.document_hash == census.hash_document(document)))
            census.verify_residency(user, document_number=document, date_of_birth=entry.date_of_birth,
                                    postal_code=entry.postal_code)
    db.session.flush()
    _seed_votes()
    _seed_commitments()
    _seed_proposals()
    _seed_budgets()
    _seed_panel_invitations()
    return True


def _seed_votes() -> None:
    """A closed ranked vote with results (ballots from verified demo residents) and an open one."""
    from datetime import timedelta

    from agora.votes import services as votes

    admin = db.session.scalar(select(User).where(User.email == "admin@agora.example"))
    now = utcnow()
    closed = votes.create_vote(admin, votes.VoteRules(
        title="Which square gets the new trees first?", options=["Ladeuzeplein", "Fochplein", "Martelarenplein",
                                                                 "Hooverplein"],
        description="The city plants trees on one square this autumn. Rank the squares you support.",
        opens_at=now - timedelta(days=14), closes_at=now + timedelta(days=1), lot_seed=3010))
    open_vote = votes.create_vote(admin, votes.VoteRules(
        title="Elect two residents to the mobility advisory board", seats=2,
        options=["Amira", "Bert", "Chloé", "Dries", "Eva"],
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=13), lot_seed=2026))
    # Twenty-four demo residents vote in the first; none yet in the second (the visitor can).
    residents = [_demo_resident(i) for i in range(10, 34)]
    options = [o.id for o in closed.options]
    rng = np.random.default_rng(3010)
    for voter in residents:
        order = [int(i) for i in rng.permutation(len(options))[: int(rng.integers(1, len(options) + 1))]]
        votes.cast_vote(voter, closed, {options[i]: rank for rank, i in enumerate(order, start=1)})
    closed.closes_at = now - timedelta(hours=1)
    db.session.flush()
    votes.get_results(closed)
    del open_vote


def _seed_budgets() -> None:
    """A finished participatory budget with results (MES) and one in balloting."""
    from collections import Counter
    from datetime import date

    from agora.budgets import services as budgets

    admin = db.session.scalar(select(User).where(User.email == "admin@agora.example"))
    clerk = db.session.scalar(select(User).where(User.email == "clerk@agora.example"))
    voters = [db.session.scalar(select(User).where(User.email == f"voter{i}@agora.example")) or _demo_resident(i)
              for i in range(10, 34)]
    top = [d for d, _n in Counter(v.district.id for v in voters if v.district).most_common(2)]
    rng = np.random.default_rng(2026)

    def run(title: str, amount: int, ideas: list[tuple[str, int, int | None]], *, finish: bool):
        process = budgets.create_process(admin, budgets.ProcessRules(
            title=title, city_amount=amount, district_amounts={d: amount // 3 for d in top}, ballot_size=8,
            description="Residents propose projects, support them, and vote within each heading's budget. "
                        "The Method of Equal Shares decides which projects are funded.",
            schedule={"accepting": date(2026, 1, 15), "selecting": date(2026, 3, 1), "balloting": date(2026, 5, 1),
                      "finished": date(2026, 6, 15)}))
        headings = {None: process.headings[0].id, **{h.district_id: h.id for h in process.headings[1:]}}
        budgets.set_phase(admin, process, "accepting")
        projects = [budgets.submit_project(voters[k % len(voters)], process, budgets.ProjectData(
            title=name, heading_id=headings[top[where] if where is not None and where < len(top) else None],
            estimated_cost=cost, description=f"{name}: a project proposed by a resident.", location="Leuven"))
            for k, (name, cost, where) in enumerate(ideas)]
        budgets.set_phase(admin, process, "reviewing")
        for project in projects:
            budgets.valuate_project(clerk, project, feasibility="feasible", price=project.estimated_cost)
        budgets.set_phase(admin, process, "selecting")
        for voter in voters[:12]:
            for project in projects:
                if budgets._in_heading(voter, project.heading) and rng.random() < 0.4:
                    budgets.support_project(voter, project)
        budgets.set_phase(admin, process, "balloting")
        if not finish:
            return
        for voter in voters:
            for heading in budgets.headings_for(voter, process):
                on_ballot = [p for p in budgets.list_projects(process, heading, ballot_only=True)]
                choice, spent = [], 0
                for p in rng.permutation(len(on_ballot)):
                    project = on_ballot[int(p)]
                    if spent + project.price <= heading.amount and rng.random() < 0.6:
                        choice.append(project.id)
                        spent += project.price
                if choice:
                    budgets.cast_budget_ballot(voter, heading, choice)
        budgets.close_balloting(admin, process)

    run("Leuven decides 2025", 24_000, [
        ("Trees on the Ladeuzeplein", 8_000, None), ("Safe bicycle parking at the station", 9_000, None),
        ("Repair café in the library", 3_000, None), ("Play street equipment", 6_000, None),
        ("Drinking fountains", 4_000, None), ("Community garden", 5_000, 0), ("Benches by the river", 2_000, 0),
        ("Footpath lighting", 4_500, 1), ("Neighbourhood festival", 1_500, 1)], finish=True)
    run("Leuven decides 2026", 30_000, [
        ("Skate park renovation", 12_000, None), ("Public toilets in the centre", 7_000, None),
        ("Pollinator meadows", 3_500, None), ("Outdoor fitness corner", 2_500, 0)], finish=False)


def _demo_resident(i: int) -> User:
    """A verified demo account for census entry DEMO00ii (not listed in the demo logins)."""
    document = f"DEMO{i:04d}"
    entry = db.session.scalar(select(CensusEntry).where(CensusEntry.document_hash == census.hash_document(document)))
    user = User(email=f"voter{i}@agora.example", display_name=f"Voter {i}", password_hash="!",  # noqa: S106 (unusable: cannot log in)
                email_confirmed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    census.verify_residency(user, document_number=document, date_of_birth=entry.date_of_birth,
                            postal_code=entry.postal_code)
    return user


def _seed_commitments() -> None:
    """A city-wide goal with an open pledge, an effort and a result commitment, progress and the city's support."""
    from datetime import timedelta

    from agora.commitments import services as commitments

    def user(email: str) -> User:
        return db.session.scalar(select(User).where(User.email == email))

    admin, clerk, rita = user("admin@agora.example"), user("clerk@agora.example"), user("resident@agora.example")
    today = date.today()
    goal = commitments.create_goal(
        admin, title="Safe and active routes to school",
        description="By the end of the school year, most children reach school **by bike or on foot**.",
        indicator_name="Share of school trips by bike or on foot", unit="%", baseline=38, target=60,
        deadline=today + timedelta(days=240))
    for days_ago, value in ((150, 38.5), (90, 41), (30, 44)):
        commitments.record_measurement(clerk, goal, measured_on=today - timedelta(days=days_ago), value=value,
                                       note="School travel survey")
    school = commitments.register_organisation(admin, name="Basisschool De Linde", kind="school",
                                               description="Primary school in Kessel-Lo, 320 pupils.")
    shop = commitments.register_organisation(admin, name="Fietsatelier Kessel-Lo", kind="shop")
    for org in (school, shop):
        commitments.add_member(admin, org, rita.email)
    commitments.make_commitment(rita, goal, kind="pledge", title="I walk my children to school whenever I can")
    effort = commitments.make_commitment(
        rita, goal, organisation=shop, kind="effort", title="Free bike check-ups for pupils every first Monday",
        description="Brakes, lights and tyres checked for free at the school gate.",
        deadline=today + timedelta(days=200))
    result = commitments.make_commitment(
        rita, goal, organisation=school, kind="result", title="70 % of our pupils come by bike or on foot",
        baseline_value=35, target_value=70, target_unit="% of trips", deadline=today + timedelta(days=220))
    for days_ago, value, text in ((60, 40, "We started a bike bus on Wednesdays."),
                                  (25, 48, "Two new walking routes with parent volunteers."),
                                  (5, 53, "The new covered bike shed is open.")):
        commitments.post_update(rita, result, happened_on=today - timedelta(days=days_ago), value=value, text=text)
    commitments.post_update(rita, effort, happened_on=today - timedelta(days=10),
                            text="First check-up day: 42 bikes checked.")
    commitments.comment(clerk, result, body="The city lends your school two extra bike racks.")
    commitments.endorse(clerk, result)


def _seed_proposals() -> None:
    """Sample proposals, a debate with a short threaded discussion, and one report waiting for review."""
    from agora.census.models import District
    from agora.comments import services as comments
    from agora.debates import services as debates
    from agora.moderation import services as moderation
    from agora.proposals import services as proposals

    def user(email: str) -> User:
        return db.session.scalar(select(User).where(User.email == email))

    rita, mo, noah = user("resident@agora.example"), user("moderator@agora.example"), user("newcomer@agora.example")
    # A second verified resident, so the discussions have two voices.
    sam = User(email="neighbour@agora.example", display_name="Sam Neighbour", email_confirmed_at=utcnow(),
               password_hash=generate_password_hash(DEMO_PASSWORD))
    db.session.add(sam)
    db.session.flush()
    entry = db.session.scalar(select(CensusEntry).where(CensusEntry.document_hash == census.hash_document("DEMO0003")))
    census.verify_residency(sam, document_number="DEMO0003", date_of_birth=entry.date_of_birth,
                            postal_code=entry.postal_code)
    kessel = db.session.scalar(select(District).where(District.name == "Kessel-Lo"))
    samples = [
        ("Shade trees on the Ladeuzeplein", "Plant twenty lime trees so the square is usable in summer.",
         "The square is **too hot** in July and August.\n\n- twenty lime trees\n- benches in their shade",
         None, "green, summer"),
        ("A safe bike lane on the Diestsesteenweg", "Separate cyclists from cars between the station and the park.",
         "Parents do not let their children cycle to school here. A kerb-separated lane would change that.",
         kessel.id if kessel else None, "mobility, safety"),
        ("Open the school playgrounds on Sundays", "Let neighbourhood children play where there is space.",
         "Most playgrounds are locked at weekends. A volunteer could open and close the gate.",
         None, "children, public space"),
    ]
    created = [proposals.create_proposal(rita, title=t, summary=s, body=b, district_id=d, tags=tags, publish=True)
               for t, s, b, d, tags in samples]
    proposals.create_proposal(rita, title="Draft: a repair café in the library", summary="Monthly repair café "
                              "with volunteers.", body="Still working on this one.", publish=False)
    proposals.support_proposal(rita, created[0].id)
    first = comments.add_comment(rita, "proposals", created[0].id, body="Lime trees also smell wonderful in June.")
    comments.add_comment(sam, "proposals", created[0].id, body="Good idea, @RitaResident.", parent_id=first.id)
    proposals.support_proposal(sam, created[0].id)

    debate = debates.create_debate(mo, title="Should the city centre be car-free on Saturdays?",
                                   body="Shops worry about customers; residents about air and noise. Where do you "
                                        "stand?")
    comments.add_comment(rita, "debates", debate.id, body="Yes: the centre is small enough to walk.", stance="for")
    rude = comments.add_comment(sam, "debates", debate.id, body="Only a fool would drive there anyway.",
                                stance="neutral")
    moderation.flag_content(noah, "comments", rude.id, reason="offensive")


def _seed_panel_invitations() -> None:
    """A citizens' panel inviting residents: 60 letters drawn with a published seed, and a few sign-ups."""
    from agora.panels import invitation_services as invitations
    from agora.panels.models import Panel

    clerk = db.session.scalar(select(User).where(User.email == "clerk@agora.example"))
    panel = Panel(title="Kessel-Lo 2030: a citizens' panel on the district's goals",
                  description="Twenty residents drawn by lot set the district's goals for 2030.", size=20,
                  open_to_volunteers=True, created_by_id=clerk.id, features=[
                      {"name": "gender", "label": "Gender", "values": ["woman", "man", "other"]},
                      {"name": "age", "label": "Age band", "values": ["16-29", "30-44", "45-64", "65+"]},
                      {"name": "education", "label": "Highest diploma",
                       "values": ["primary or none", "secondary", "higher"]}])
    db.session.add(panel)
    db.session.flush()
    invitations.draw_invitations(clerk, panel, count=60, seed="demo 4-6-2-1-5")
    answers = [("woman", "30-44", "higher"), ("man", "65+", "secondary"), ("woman", "16-29", "secondary"),
               ("other", "45-64", "primary or none"), ("man", "30-44", "higher")]
    for number, (invitation, (gender, age, education)) in enumerate(
            zip(invitations.list_invitations(clerk, panel), answers, strict=False), start=1):
        invitations.sign_up(None, panel, invitations.SignupData(
            answers={"gender": gender, "age": age, "education": education},
            full_name=invitation.full_name or f"Demo respondent {number}", email=f"respondent{number}@agora.example",
            consent=True, code=invitations.invitation_code(clerk, invitation), language=invitation.language))


def describe() -> str:
    rows = [f"  {email:<26} {DEMO_PASSWORD}   ({role.value if role else 'resident'}"
            f"{', verified' if document else ''})" for email, _n, role, document in ACCOUNTS]
    return "\n".join([
        "Demo logins (e-mail, password):", *rows,
        f"To try residency verification, log in as newcomer@agora.example and enter document "
        f"{TRY_DOCUMENT}, born {TRY_BIRTH.isoformat()}, postal code {TRY_POSTAL}.",
        *_describe_invitations(),
    ])


def _describe_invitations() -> list[str]:
    from agora.panels.models import Panel

    panel_id = db.session.scalar(select(Panel.id).where(Panel.title.like("Kessel-Lo 2030%")))
    if panel_id is None:
        return []
    return [f"Panel invitations: log in as clerk@agora.example and open /panels/{panel_id}/invitations "
            f"(letters, sign-ups); residents sign up at /panels/{panel_id}/signup."]
