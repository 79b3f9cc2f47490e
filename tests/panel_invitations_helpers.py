"""Factories for the panel invitation tests: a census register with addresses, and a panel."""

from __future__ import annotations

from datetime import date

FEATURES = [
    {"name": "gender", "label": "Gender", "values": ["woman", "man", "other"]},
    {"name": "age", "label": "Age band", "values": ["16-29", "30-64", "65+"]},
]
LANGUAGES = ["nl", "fr", "", "es", "en"]


def register_csv(populations: dict[str, int], *, household_size: int = 2, addresses: bool = True,
                 born: date = date(1970, 5, 1), prefix: str = "R") -> str:
    """A census CSV: ``populations`` residents per district, ``household_size`` per address."""
    header = "document_number,date_of_birth,postal_code,district,full_name,address,language"
    lines = [header]
    n = 0
    for district, population in populations.items():
        for i in range(population):
            n += 1
            street = f"{district}straat {i // household_size + 1}" if addresses else ""
            lines.append(f"{prefix}{n:07d},{born.isoformat()},3010,{district},Resident {prefix}{n},{street},"
                         f"{LANGUAGES[n % len(LANGUAGES)]}")
    return "\n".join(lines) + "\n"


def import_register(populations: dict[str, int], **kwargs) -> None:
    from agora.census.services import import_census
    from agora.db import unit_of_work

    with unit_of_work():
        import_census("test", register_csv(populations, **kwargs), filename="register.csv")


def make_panel(title: str = "Kessel-Lo panel", *, status: str = "draft", open_to_volunteers: bool = False,
               size: int = 10, features=None, districts=()):
    from sqlalchemy import select

    from agora.census.models import District
    from agora.db import db
    from agora.panels.models import Panel

    panel = Panel(title=title, description="Our **district** goals.", size=size, status=status,
                  open_to_volunteers=open_to_volunteers, features=features if features is not None else FEATURES)
    panel.districts = list(db.session.scalars(select(District).where(District.name.in_(districts))))
    db.session.add(panel)
    db.session.commit()
    return panel


def draw(panel, count: int = 10, seed: str = "1-2-3-4"):
    from agora.db import unit_of_work
    from agora.panels import invitation_services as services

    with unit_of_work():
        result = services.draw_invitations("cli", panel, count=count, seed=seed)
    return result


def codes(panel) -> list[str]:
    from agora.panels import invitation_services as services

    return [services.invitation_code("cli", inv) for inv in services.list_invitations("cli", panel)]


def signup_data(code: str = "", **overrides):
    from agora.panels.invitation_services import SignupData

    values = {"answers": {"gender": "woman", "age": "30-64"}, "full_name": "Rita Peeters",
              "email": "rita.peeters@example.org", "phone": "+32 16 12 34 56", "consent": True, "code": code}
    values.update(overrides)
    return SignupData(**values)


def drawn_panel(app, monkeypatch, *, n: int = 60, size: int = 8, invited_email: str = "rita.peeters@example.org"):
    """A panel drawn for real by the panels services (feat-panels): pool, quotas, commitment, seed.

    Returns (panel, selected respondent); the selected one gets ``invited_email`` as if they
    had signed up with it.
    """
    from helpers import make_user
    from panels_helpers import feature_text, pool_csv, proportional_quotas

    from agora.accounts.models import User
    from agora.db import db, unit_of_work
    from agora.panels import services as panels
    from agora.panels.models import Panel
    from agora.permissions import Role

    monkeypatch.setitem(app.config, "JOBS_BACKEND", "inline")
    clerk = db.session.query(User).filter_by(email="panel-clerk@example.org").one_or_none() \
        or make_user("panel-clerk@example.org", roles=[Role.CLERK])
    names = ["gender", "age_band"]
    panel = panels.create_panel(clerk, panels.PanelData(title="Drawn panel", size=size, features=feature_text(names)))
    db.session.commit()
    panels.import_respondents(clerk, panel, pool_csv(n, names=names, seed=3))
    db.session.commit()
    panels.set_quotas(clerk, panel, proportional_quotas(panel))
    db.session.commit()
    panels.publish_commitment(clerk, panel, alternates=4)
    db.session.commit()
    with unit_of_work():
        panels.enter_seed(clerk, panel, "42")
    db.session.expire_all()
    panel = db.session.get(Panel, panel.id)
    selected = next(r for r in panel.respondents if r.status == "selected")
    selected.email = invited_email
    db.session.commit()
    return panel, selected
