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
    _seed_panels()
    _seed_panelwork()
    _seed_panel_invitations()
    return True


def _seed_panels() -> None:
    """A citizens' panel drawn in public (LEXIMIN, with its commitment and result) and one open for sign-up."""
    from datetime import timedelta

    from agora.panels import services as panels

    clerk = db.session.scalar(select(User).where(User.email == "clerk@agora.example"))
    now = utcnow()
    features = ("gender (Gender): female, male, other\nage_band (Age): 16-29, 30-44, 45-64, 65+\n"
                f"district (District): {', '.join(DISTRICTS)}")
    panel = panels.create_panel(clerk, panels.PanelData(
        title="Citizens' panel: a greener Kessel-Lo", size=16, features=features,
        description="Sixteen residents drawn by lot meet six times to set goals for greenery and shade in the "
                    "city. The draw was public: check it yourself with the files on the result page.",
        signup_closes_at=now - timedelta(days=10), draw_at=now - timedelta(days=7),
        work_ends_at=now + timedelta(days=120)))
    panels.open_signup(clerk, panel)
    rng = np.random.default_rng(7)
    genders, ages = ["female", "male", "other"], ["16-29", "30-44", "45-64", "65+"]
    lines = ["gender,age_band,district,name,email"]
    for i in range(160):
        lines.append(",".join([genders[rng.choice(3, p=[0.52, 0.45, 0.03])],
                               ages[rng.choice(4, p=[0.18, 0.25, 0.33, 0.24])],
                               DISTRICTS[rng.choice(5, p=[0.18, 0.26, 0.3, 0.16, 0.1])],
                               f"Demo Respondent {i + 1}", f"respondent{i + 1}@example.org"]))
    panels.import_respondents(clerk, panel, "\n".join(lines) + "\n", filename="demo-respondents.csv")
    quotas = panels.propose_quotas(clerk, panel, slack=0.3)
    for _attempt in range(3):  # the census and the pool disagree a little: apply the suggested relaxation
        report = panels.check_feasibility(clerk, panel, quotas)
        if report.feasible:
            break
        changes = {(r["feature"], r["value"]): r for r in report.relaxations}
        quotas = [{**q, "min": changes[(q["feature"], q["value"])]["new_min"],
                   "max": changes[(q["feature"], q["value"])]["new_max"]}
                  if (q["feature"], q["value"]) in changes else q for q in quotas]
    panels.set_quotas(clerk, panel, quotas)
    panels.publish_commitment(clerk, panel, alternates=8)
    panels.enter_seed(clerk, panel, "4-1-6-3-2", background=False)
    panels.store_result(panel, panels.compute_draw(panel.draw), clerk)

    panels.open_signup(clerk, panels.create_panel(clerk, panels.PanelData(
        title="Citizens' panel: night-time economy in the centre", size=24, features=features,
        description="Open for sign-up: invitations go out by post to 2,000 addresses drawn from the register.",
        signup_closes_at=now + timedelta(days=30), draw_at=now + timedelta(days=37))))


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
        return process

    finished = run("Leuven decides 2025", 24_000, [
        ("Trees on the Ladeuzeplein", 8_000, None), ("Safe bicycle parking at the station", 9_000, None),
        ("Repair café in the library", 3_000, None), ("Play street equipment", 6_000, None),
        ("Drinking fountains", 4_000, None), ("Community garden", 5_000, 0), ("Benches by the river", 2_000, 0),
        ("Footpath lighting", 4_500, 1), ("Neighbourhood festival", 1_500, 1)], finish=True)
    # Execution tracking: the budget is finished and the city reports on its funded projects.
    budgets.set_phase(admin, finished, "finished")
    funded = budgets.funded_projects(finished)
    plans = [
        [("Design approved by the city council", date(2025, 9, 15), "done", 100,
          "The plan was presented to residents in September."),
         ("Works", date(2026, 4, 30), "in_progress", 60, "More than half of the work is done."),
         ("Opening", date(2026, 6, 1), "planned", 0, "")],
        [("Supplier chosen", date(2025, 10, 1), "done", 100, ""),
         ("Installation", date(2026, 2, 28), "delayed", 30, "Delivery was late; installation continues in spring.")],
        [("Ready and in use", date(2025, 12, 1), "done", 100, "Finished and opened.")],
    ]
    for project, plan in zip(funded, plans, strict=False):
        for title, when, status, percent, text in plan:
            budgets.add_milestone(clerk, project, budgets.MilestoneData(
                title=title, due_on=when, status=status, percent=percent, description=text))
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
    # An edit that leaves a visible history.
    playgrounds = created[2]
    proposals.update_proposal(rita, playgrounds, title=playgrounds.title, summary=playgrounds.summary,
                              body=playgrounds.body + "\n\nEdit: two schools in Kessel-Lo already agreed.",
                              district_id=playgrounds.district_id, tags=playgrounds.tags)
    _send_successful_proposal(created[0])


def _send_successful_proposal(proposal) -> None:
    """The administrator puts the successful shade-trees proposal into an upcoming vote."""
    from datetime import timedelta

    from agora.proposals import services as proposals
    from agora.proposals.models import ProposalStatus
    from agora.votes import services as votes

    if proposal.status != ProposalStatus.SUCCESSFUL:  # the threshold depends on the settings
        return
    admin = db.session.scalar(select(User).where(User.email == "admin@agora.example"))
    now = utcnow()
    proposals.create_vote_from_proposal(admin, proposal, votes.VoteRules(
        title="Which summer project comes first?", options=["Drinking fountains in the parks"],
        description="Two ideas from residents for next summer.", opens_at=now + timedelta(days=7),
        closes_at=now + timedelta(days=21), lot_seed=721))


PANEL_GOALS = [
    ("More safe bicycle routes to schools in Kessel-Lo", "mobility",
     "Every school in Kessel-Lo can be reached by bike on a **separated** or traffic-calmed route, "
     "so that children can cycle to school on their own from the age of ten."),
    ("A green, shaded square at the heart of every neighbourhood", "green space",
     "Each neighbourhood gets a square with trees, benches and water, where people meet in summer too."),
    ("Less through traffic in residential streets", "mobility",
     "Residential streets are for living: through traffic uses the main roads, and the streets around "
     "schools are closed to cars at the start and end of the school day."),
    ("Affordable homes for young families and older residents", "housing",
     "New housing projects in Kessel-Lo include affordable homes, and older residents can move to a "
     "smaller home without leaving their neighbourhood."),
    ("A meeting place for all generations in every neighbourhood", "social cohesion",
     "A room that neighbours can use for free: homework help, a repair café, a card game, a birthday."),
]


def _seed_panelwork() -> None:
    """The demo panel at work: members, two sessions (one with minutes), adopted goals linked from a
    proposal and the commitments goal, a goal under vote and a draft with an amendment waiting."""
    from datetime import timedelta

    from agora.commitments.models import Goal as CommitmentGoal
    from agora.panels.models import Panel
    from agora.panelwork import services as panelwork
    from agora.proposals.models import Proposal

    def user(email: str) -> User:
        return db.session.scalar(select(User).where(User.email == email))

    clerk = user("clerk@agora.example")
    panel = db.session.scalar(select(Panel).order_by(Panel.id).limit(1))
    if panel is None:  # the panels feature's own demo panel, when present, is used instead
        panel = Panel(title="Citizens' panel Kessel-Lo (Vorm 3010)", size=25, status="working",
                      description="Twenty-five residents of Kessel-Lo, drawn by lot, write goals for their district.")
        db.session.add(panel)
        db.session.flush()
    members = [user("resident@agora.example"), user("neighbour@agora.example"),
               *(user(f"voter{i}@agora.example") for i in range(10, 18))]
    for member in members:
        panelwork.add_member(clerk, panel, email=member.email)
    panelwork.add_member(clerk, panel, email=clerk.email, role="facilitator")
    now = utcnow()
    first = panelwork.schedule_session(
        clerk, panel, title="Session 1: getting to know Kessel-Lo", starts_at=now - timedelta(days=21),
        place="Cultural centre Kessel-Lo, hall 2", agenda="1. Welcome and how the panel works\n"
        "2. Walk through the district\n3. **What should change?** First ideas")
    panelwork.publish_minutes(clerk, first, minutes="Twenty-three members came. After the walk we gathered "
                              "**41 ideas** in five themes: mobility, green space, housing, meeting places and "
                              "safety. Each member chose a theme to draft goals for the next session.",
                              attendee_ids=[m.id for m in panelwork.list_members(panel)[:8]])
    panelwork.schedule_session(clerk, panel, title="Session 3: adopting the last goals",
                               starts_at=now + timedelta(days=9), place="Cultural centre Kessel-Lo, hall 2",
                               agenda="1. Amendments still open\n2. Adoption votes\n3. Handing the goals to the city")
    # Five goals drafted, voted and adopted: most members for, a few against or abstaining.
    for i, (title, theme, text) in enumerate(PANEL_GOALS):
        goal = panelwork.draft_goal(members[i % len(members)], panel, title=title, text=text, theme=theme)
        (vote,) = panelwork.open_adoption_votes(clerk, panel, [goal])
        for j, member in enumerate(members):
            panelwork.cast_ballot(member, vote, "against" if (i + j) % 7 == 0 else "abstain" if j == 9 else "for")
        panelwork.close_adoption_vote(clerk, vote)
    adopted = panelwork.get_adopted_goal(panel, 1)
    # The earlier demo content responds to goal 1 (set here: it was created before the panel's goals).
    for proposal in db.session.scalars(select(Proposal).where(Proposal.title.like("A safe bike lane%"))):
        proposal.panel_goal_id = adopted.id
    for shared in db.session.scalars(select(CommitmentGoal).where(CommitmentGoal.title.like("Safe and active%"))):
        shared.source_panel_goal_id = adopted.id
    # Under vote now (Rita, the demo resident, has not voted yet), and a draft with an amendment waiting.
    voting = panelwork.draft_goal(members[1], panel, title="Cleaner air around schools", theme="health",
                                  text="No idling engines near school gates, and air quality measured at every school.")
    (vote,) = panelwork.open_adoption_votes(clerk, panel, [voting])
    for member in members[1:6]:
        panelwork.cast_ballot(member, vote, "for")
    draft = panelwork.draft_goal(members[0], panel, title="More public benches and drinking fountains",
                                 theme="public space", text="A bench every 300 metres on the main walking routes.")
    panelwork.propose_amendment(members[1], draft, reason="Older residents asked for shade too.",
                                text="A bench every 300 metres on the main walking routes, in the shade where "
                                     "possible, and a drinking fountain on every square.")


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
        "A citizens' panel drawn in public, with its verifiable result, is under Panels.",
        "resident@agora.example sits on the demo citizens' panel (My panels: /panels/my-work); "
        "clerk@agora.example facilitates it.",
        *_describe_invitations(),
    ])


def _describe_invitations() -> list[str]:
    from agora.panels.models import Panel

    panel_id = db.session.scalar(select(Panel.id).where(Panel.title.like("Kessel-Lo 2030%")))
    if panel_id is None:
        return []
    return [f"Panel invitations: log in as clerk@agora.example and open /panels/{panel_id}/invitations "
            f"(letters, sign-ups); residents sign up at /panels/{panel_id}/signup."]
