"""Panel invitations, sign-up and confirm/decline, called as the views and the CLI call them (both databases)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from fractions import Fraction

import pytest
from helpers import make_user
from panel_invitations_helpers import codes, draw, drawn_panel, import_register, make_panel, signup_data
from sqlalchemy import func, select

from agora.audit import AuditEntry
from agora.census.models import CensusEntry
from agora.db import db, unit_of_work, utcnow
from agora.errors import Conflict, InvalidInput, PermissionDenied, PhaseClosed
from agora.panels import invitation_services as services
from agora.panels.invitation_models import Invitation
from agora.panels.models import PanelMember, Respondent
from agora.permissions import Role

POPULATIONS = {"Centrum": 37, "Heverlee": 52, "Kessel-Lo": 61, "Wilsele": 23}


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _households(panel) -> list[str]:
    return [i.household for i in services.list_invitations("cli", panel)]


# --- the invitation lottery --------------------------------------------------------------------------

def test_census_import_keeps_names_addresses_and_languages(ctx):
    import_register({"Centrum": 3})
    entries = db.session.scalars(select(CensusEntry).order_by(CensusEntry.id)).all()
    assert [e.full_name for e in entries] == ["Resident R1", "Resident R2", "Resident R3"]
    assert entries[0].address == "Centrumstraat 1" and entries[2].address == "Centrumstraat 2"
    assert [e.language for e in entries] == ["fr", None, "es"]
    # Re-importing the old four-column format keeps the addresses.
    from agora.census.services import import_census

    with unit_of_work():
        import_census("test", "document_number,date_of_birth,postal_code,district\nR0000001,1970-05-01,3010,Centrum\n")
    db.session.expire_all()
    assert db.session.get(CensusEntry, entries[0].id).address == "Centrumstraat 1"


def test_census_import_names_a_bad_language_and_an_overlong_address(ctx):
    from agora.census.services import CensusFileError, import_census

    bad = ("document_number,date_of_birth,postal_code,district,address,language\n"
           f"A1234567,1980-02-03,3010,Kessel-Lo,{'x' * 301},nl\n"
           "B1234567,1980-02-03,3010,Kessel-Lo,Tiensestraat 1,klingon\n")
    with pytest.raises(CensusFileError) as error:
        import_census("test", bad, filename="census.csv")
    assert [(e.line, e.column) for e in error.value.errors] == [(2, "address"), (3, "language")]


def test_clerk_draws_invitations_stratified_by_district(ctx):
    import_register(POPULATIONS)
    clerk = make_user("clerk@example.org", roles=[Role.CLERK])
    panel = make_panel()
    with unit_of_work():
        result = services.draw_invitations(clerk, panel, count=40, seed="6-2-5-1")
    total = sum(POPULATIONS.values())
    invitations = services.list_invitations(clerk, panel)
    per_district = Counter(i.district_name for i in invitations)
    assert sum(per_district.values()) == 40
    for district, population in POPULATIONS.items():
        exact = Fraction(40 * population, total)
        assert abs(per_district[district] - exact) < 1, (district, per_district[district], float(exact))
    # At most one invitation per household.
    assert len({i.household for i in invitations}) == 40
    assert len({(i.address, i.postal_code) for i in invitations}) == 40
    # Recorded with the seed and the register hash; audited; the panel is now inviting.
    assert result.seed == "6-2-5-1" and len(result.frame_hash) == 64
    assert panel.status == "inviting"
    entry = _audit("panel.invitations.draw")[-1]
    assert entry.actor_label == "clerk@example.org"
    assert entry.details_dict["seed"] == "6-2-5-1" and entry.details_dict["frame_hash"] == result.frame_hash
    assert services.verify_draw(clerk, result).ok


def test_same_register_and_seed_give_the_same_list_and_another_seed_another(ctx):
    import_register(POPULATIONS)
    first, second, third = make_panel("A"), make_panel("B"), make_panel("C")
    draw(first, 25, seed="dice 4 4 1")
    draw(second, 25, seed="dice 4 4 1")
    draw(third, 25, seed="dice 4 4 2")
    assert _households(first) == _households(second)
    assert set(_households(first)) != set(_households(third))
    draws = [services.list_draws("cli", p)[0] for p in (first, second, third)]
    assert draws[0].frame_hash == draws[1].frame_hash == draws[2].frame_hash


def test_a_second_round_leaves_out_households_already_invited(ctx):
    import_register({"Centrum": 30, "Heverlee": 30})
    panel = make_panel()
    draw(panel, 10, seed="one")
    first = set(_households(panel))
    second_draw = draw(panel, 10, seed="two")
    assert second_draw.excluded_households == 10
    second = {i.household for i in second_draw.invitations}
    assert not first & second and len(second) == 10
    # Both rounds still reproduce (the second on the frame without the first round's households).
    assert all(services.verify_draw("cli", d).ok for d in services.list_draws("cli", panel))


def test_a_register_change_is_detected_by_the_frame_hash(ctx):
    import_register({"Centrum": 30})
    panel = make_panel()
    result = draw(panel, 5)
    import_register({"Centrum": 31})  # one new resident
    check = services.verify_draw("cli", result)
    assert not check.ok and not check.frame_matches


def test_a_panel_with_districts_draws_only_there_and_minors_are_not_invited(ctx):
    import_register({"Centrum": 20, "Heverlee": 20})
    young = date.today().replace(year=date.today().year - 10)
    import_register({"Heverlee": 10}, born=young, prefix="Y")
    panel = make_panel(districts=["Heverlee"])
    result = draw(panel, 10)
    assert [a["district"] for a in result.allocation] == ["Heverlee"]
    assert result.allocation[0]["population"] == 20  # the ten children are not counted
    assert all(i.district_name == "Heverlee" and not i.full_name.startswith("Resident Y")
               for i in result.invitations)


def test_a_register_without_addresses_gets_a_clear_error(ctx):
    import_register({"Centrum": 20}, addresses=False)
    panel = make_panel()
    with pytest.raises(InvalidInput) as error:
        draw(panel, 5)
    assert error.value.field == "count" and "None of the 20 eligible residents" in error.value.message
    assert "address column" in error.value.message
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


@pytest.mark.parametrize(("count", "seed", "field"), [(0, "s", "count"), (5, "  ", "seed"), (10_000, "s", "count")])
def test_bad_draw_requests_name_the_field(ctx, count, seed, field):
    import_register({"Centrum": 20})
    with pytest.raises(InvalidInput) as error:
        draw(make_panel(), count, seed)
    assert error.value.field == field


def test_no_draw_once_the_panel_is_drawn(ctx):
    import_register({"Centrum": 20})
    with pytest.raises(PhaseClosed):
        draw(make_panel(status="drawn"), 5)


# --- codes ---------------------------------------------------------------------------------------

def test_codes_are_unambiguous_unique_and_not_stored(ctx):
    import_register({"Centrum": 60})
    panel = make_panel()
    draw(panel, 30)
    printed = codes(panel)
    assert len(set(printed)) == 30
    for code in printed:
        plain = code.replace("-", "")
        assert len(plain) == 10 and set(plain) <= set(services.CODE_ALPHABET)
        assert not set(plain) & set("ILO01")
    # Neither the code nor its unkeyed SHA-256 is anywhere in the invitations table.
    import hashlib

    rows = db.session.execute(select(Invitation.__table__)).all()
    dump = " ".join(str(value) for row in rows for value in row)
    for code in printed:
        plain = code.replace("-", "")
        assert plain not in dump and hashlib.sha256(plain.encode()).hexdigest() not in dump
    # Typing it in lower case with spaces still finds it.
    assert services.find_invitation(panel, printed[0].lower().replace("-", " ")).panel_id == panel.id


def test_exports_and_letters_are_audited_and_in_the_residents_language(ctx, app):
    import_register({"Centrum": 40})
    panel = make_panel()
    draw(panel, 20)
    csv_text = services.addresses_csv("cli", panel)
    header, *rows = csv_text.strip().split("\n")
    assert header.split(",") == list(services.ADDRESS_COLUMNS) and len(rows) == 20
    chosen = services.letters("cli", panel)
    assert len(chosen) == 20
    for letter in chosen:
        expected = letter.invitation.language or app.config["BABEL_DEFAULT_LOCALE"]
        assert letter.language == expected
    assert {letter.language for letter in chosen} >= {"en", "nl"}
    assert len(_audit("panel.invitations.export")) == 1 and len(_audit("panel.invitations.letters")) == 1


# --- permissions ----------------------------------------------------------------------------------

CLERK_ONLY = [
    ("draw", lambda actor, panel: services.draw_invitations(actor, panel, count=2, seed="s")),
    ("list", lambda actor, panel: services.list_invitations(actor, panel)),
    ("addresses", lambda actor, panel: services.addresses_csv(actor, panel)),
    ("letters", lambda actor, panel: services.letters(actor, panel)),
    ("code", lambda actor, panel: services.invitation_code(actor, services.list_invitations("cli", panel)[0])),
    ("signups", lambda actor, panel: services.list_signups(actor, panel)),
    ("contact", lambda actor, panel: services.respondent_contact(actor, panel.respondents[0])),
    ("links", lambda actor, panel: services.list_seat_links(actor, panel)),
    ("links_csv", lambda actor, panel: services.seat_links_csv(actor, panel)),
    ("mail", lambda actor, panel: services.mail_seat_links(actor, panel)),
    ("verify", lambda actor, panel: services.verify_draw(actor, services.list_draws("cli", panel)[0])),
]


@pytest.fixture
def panel_with_a_signup(ctx):
    import_register({"Centrum": 20})
    panel = make_panel()
    draw(panel, 4)
    with unit_of_work():
        services.sign_up(None, panel, signup_data(codes(panel)[0]))
    return panel


@pytest.mark.parametrize(("name", "call"), CLERK_ONLY, ids=[n for n, _c in CLERK_ONLY])
@pytest.mark.parametrize("who", ["resident", "verified", "moderator"])
def test_only_clerks_and_admins_see_invitations_and_personal_data(panel_with_a_signup, who, name, call):
    roles = {"resident": (), "verified": (), "moderator": (Role.MODERATOR,)}[who]
    user = make_user(f"{who}@example.org", roles=roles, verified=who == "verified")
    with pytest.raises(PermissionDenied):
        call(user, panel_with_a_signup)


@pytest.mark.parametrize(("name", "call"), CLERK_ONLY, ids=[n for n, _c in CLERK_ONLY])
@pytest.mark.parametrize("role", [Role.CLERK, Role.ADMIN])
def test_clerks_and_admins_may(panel_with_a_signup, role, name, call):
    user = make_user(f"{role}@example.org", roles=[role])
    call(user, panel_with_a_signup)


# --- sign-up --------------------------------------------------------------------------------------

@pytest.fixture
def inviting_panel(ctx):
    import_register({"Centrum": 20, "Heverlee": 20})
    panel = make_panel()
    draw(panel, 6)
    return panel


def test_signing_up_with_a_code_creates_one_respondent_and_spends_the_code(inviting_panel):
    panel = inviting_panel
    code = codes(panel)[0]
    with unit_of_work():
        respondent = services.sign_up(None, panel, signup_data(code, language="fr"))
    # A random six-digit pseudonymous number: it reveals no order of sign-up.
    assert 100_000 <= respondent.number < 1_000_000
    assert respondent.source == "invitation" and respondent.status == "pool"
    assert respondent.features == {"gender": "woman", "age": "30-64"}
    assert respondent.email == "rita.peeters@example.org" and respondent.language == "fr"
    used = db.session.scalars(select(Invitation).where(Invitation.respondent_id == respondent.id)).one()
    assert used.used_at is not None and respondent.address == used.address
    # Used once only.
    with pytest.raises(Conflict) as error, unit_of_work():
        services.sign_up(None, panel, signup_data(code, email="someone.else@example.org"))
    assert error.value.field == "code"
    with unit_of_work():
        second = services.sign_up(None, panel, signup_data(codes(panel)[1], email="b@example.org"))
    assert second.number != respondent.number
    # The audit log names the pseudonymous number only, no personal data.
    assert _audit("panel.signup")[-1].details_dict == {"respondent": second.number, "source": "invitation"}


def test_wrong_or_foreign_codes_are_refused_on_the_code_field(inviting_panel):
    other = make_panel("Other panel")
    draw(other, 2, seed="other")
    for code, message in [("ABCDE-FGHJK", "not valid"), (codes(other)[0], "not valid"), ("12345", "10 letters"),
                          ("ABCDE-FGHJI", "10 letters")]:
        with pytest.raises(InvalidInput) as error, unit_of_work():
            services.sign_up(None, inviting_panel, signup_data(code))
        assert error.value.field == "code" and message in error.value.message, code
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0


@pytest.mark.parametrize(("overrides", "field"), [
    ({"answers": {"age": "30-64"}}, "feature_0"),
    ({"answers": {"gender": "woman", "age": "100+"}}, "feature_1"),
    ({"full_name": " "}, "full_name"),
    ({"email": "not-an-address"}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"consent": False}, "consent"),
])
def test_sign_up_validation_names_the_field(inviting_panel, overrides, field):
    with pytest.raises(InvalidInput) as error, unit_of_work():
        services.sign_up(None, inviting_panel, signup_data(codes(inviting_panel)[0], **overrides))
    assert error.value.field == field
    if field.startswith("feature_"):
        assert ("Gender" if field == "feature_0" else "Age band") in error.value.message
    # Nothing stored, and the code is still usable.
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0
    assert services.find_invitation(inviting_panel, codes(inviting_panel)[0]).used_at is None


def test_one_sign_up_per_email_address(inviting_panel):
    with unit_of_work():
        services.sign_up(None, inviting_panel, signup_data(codes(inviting_panel)[0]))
    with pytest.raises(Conflict) as error, unit_of_work():
        services.sign_up(None, inviting_panel, signup_data(codes(inviting_panel)[1], email="Rita.Peeters@example.org"))
    assert error.value.field == "email"


def test_volunteers_need_an_open_panel_and_a_verified_residency(ctx):
    import_register({"Centrum": 10})
    closed_to_volunteers = make_panel("Invitation only", status="inviting")
    panel = make_panel("Open", status="signup", open_to_volunteers=True)
    verified = make_user("vera@example.org", verified=True, district="Centrum")
    resident = make_user("rob@example.org")
    with pytest.raises(InvalidInput) as error, unit_of_work():
        services.sign_up(verified, closed_to_volunteers, signup_data(email="vera@example.org"))
    assert error.value.field == "code"
    with pytest.raises(PermissionDenied), unit_of_work():
        services.sign_up(resident, panel, signup_data(email="rob@example.org"))
    with pytest.raises(PermissionDenied), unit_of_work():
        services.sign_up(None, panel, signup_data(email="anon@example.org"))
    with unit_of_work():
        respondent = services.sign_up(verified, panel, signup_data(email="vera@example.org"))
    assert respondent.source == "volunteer" and respondent.user_id == verified.id
    with pytest.raises(Conflict), unit_of_work():
        services.sign_up(verified, panel, signup_data(email="vera.other@example.org"))


def test_sign_up_closes_with_the_phase_or_the_deadline(ctx):
    import_register({"Centrum": 10})
    panel = make_panel()
    draw(panel, 3)
    code = codes(panel)[0]
    panel.signup_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(PhaseClosed), unit_of_work():
        services.sign_up(None, panel, signup_data(code))
    panel.signup_closes_at = None
    panel.status = "drawn"
    db.session.commit()
    with pytest.raises(PhaseClosed), unit_of_work():
        services.sign_up(None, panel, signup_data(code))


def test_one_code_used_concurrently_creates_one_respondent(app):
    """Six people race with one code: the conditional UPDATE lets exactly one sign up."""
    with app.test_request_context():
        import_register({"Centrum": 10})
        panel = make_panel()
        draw(panel, 3)
        panel_id, code = panel.id, codes(panel)[0]
        db.session.remove()
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        with app.test_request_context():
            target = services.get_panel(panel_id)
            barrier.wait()
            try:
                with unit_of_work():
                    services.sign_up(None, target, signup_data(code, email=f"racer{i}@example.org"))
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            except Exception as error:  # SQLite may report a busy database instead  # noqa: BLE001
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    if app.config["TEST_BACKEND"] == "postgresql":
        assert outcomes.count("conflict") == 5, outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 1
        used = db.session.scalars(select(Invitation).where(Invitation.used_at.is_not(None))).all()
        assert len(used) == 1 and used[0].respondent_id is not None


# --- confirm or decline ------------------------------------------------------------------------------

@pytest.fixture
def selected(inviting_panel):
    panel = inviting_panel
    with unit_of_work():
        respondent = services.sign_up(None, panel, signup_data(codes(panel)[0]))
    # The draw (another branch) sets the status; here it is set by hand.
    panel.status = "drawn"
    respondent.status = "selected"
    db.session.commit()
    return respondent


def test_seat_tokens_round_trip_and_refuse_forgeries(selected):
    panel = selected.panel
    token = services.seat_token(selected)
    assert services.respondent_from_token(panel, token).id == selected.id
    for bad in (token[:-2] + "xx", "nonsense"):
        with pytest.raises(InvalidInput):
            services.respondent_from_token(panel, bad)
    other = make_panel("Other")
    with pytest.raises(InvalidInput):
        services.respondent_from_token(other, token)
    # The token carries the second it was signed: the link's own token, not an equal string, is what counts.
    url = services.seat_url(selected)
    prefix, _, url_token = url.rpartition("/")
    assert prefix.endswith(f"/panels/{panel.id}/seat") and url_token.count(".") == 2
    assert services.respondent_from_token(panel, url_token).id == selected.id


def test_confirm_needs_the_sign_up_email_and_makes_a_panel_member(selected):
    stranger = make_user("stranger@example.org")
    with pytest.raises(PermissionDenied) as error, unit_of_work():
        services.confirm_seat(stranger, selected)
    assert "r***@example.org" in error.value.message
    unconfirmed = make_user("rita.peeters@example.org", confirmed=False)
    with pytest.raises(PermissionDenied), unit_of_work():
        services.confirm_seat(unconfirmed, selected)
    unconfirmed.email_confirmed_at = utcnow()
    db.session.commit()
    with unit_of_work():
        member = services.confirm_seat(unconfirmed, selected)
    assert member.user_id == unconfirmed.id and member.panel_id == selected.panel_id and member.role == "member"
    assert selected.status == "confirmed" and selected.user_id == unconfirmed.id
    assert _audit("panel.seat.confirm")[-1].actor_label == "rita.peeters@example.org"
    # Confirming again is harmless.
    with unit_of_work():
        assert services.confirm_seat(unconfirmed, selected).id == member.id
    assert db.session.scalar(select(func.count()).select_from(PanelMember)) == 1


def _without_replacement_service(monkeypatch):
    """Simulate a tree without agora.panels.services.record_dropout (the wrapper's fallback)."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "agora.panels.services", types.ModuleType("agora.panels.services"))


def test_decline_without_the_replacement_service_logs_the_drop_out_as_pending(selected, monkeypatch):
    _without_replacement_service(monkeypatch)
    with unit_of_work():
        replaced = services.decline_seat(None, selected, reason="I move abroad")
    assert replaced is False
    assert selected.status == "declined"
    decline = _audit("panel.seat.decline")[-1]
    assert decline.actor_label == f"respondent:{selected.panel_id}/{selected.number}"
    assert decline.details_dict["reason"] == "I move abroad"
    assert _audit("panel.dropout.pending")[-1].details_dict["respondent"] == selected.number
    with pytest.raises(PhaseClosed), unit_of_work():
        services.decline_seat(None, selected)


def test_decline_calls_the_replacement_service_with_a_label_actor(selected, monkeypatch):
    import sys
    import types

    calls = []
    fake = types.ModuleType("agora.panels.services")

    def record_dropout(panel, respondent, actor, reason="", *, declined=False):  # the feat-panels signature
        calls.append((panel.id, respondent.id, respondent.status, actor, reason, declined))

    fake.record_dropout = record_dropout
    monkeypatch.setitem(sys.modules, "agora.panels.services", fake)
    someone = make_user("someone@example.org")
    with unit_of_work():
        assert services.decline_seat(someone, selected, reason="") is True
    label = f"respondent:{selected.panel_id}/{selected.number} (logged in as someone@example.org)"
    assert calls == [(selected.panel_id, selected.id, "selected", label, "declined through the confirmation link",
                      True)]
    assert selected.status == "declined"


def test_declining_a_really_drawn_seat_draws_a_replacement(app, ctx, monkeypatch):
    """Integration with the panels services: the decline link replaces the person from the alternates."""
    from agora.panels import services as panels

    panel, selected = drawn_panel(app, monkeypatch)
    before = set(panels.current_panel_numbers(panel))
    token = services.seat_token(selected)
    with unit_of_work():
        assert services.decline_seat(None, services.respondent_from_token(panel, token), reason="abroad") is True
    db.session.expire_all()
    after = set(panels.current_panel_numbers(panel))
    assert str(selected.number) in before and str(selected.number) not in after
    assert len(after) == len(before) and len(after - before) == 1
    assert db.session.get(Respondent, selected.id).status == "declined"
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-3:] == ["panel.seat.decline", "panel.dropout", "panel.replacement"]


def test_confirming_a_really_drawn_seat_makes_a_member_and_withdrawing_replaces(app, ctx, monkeypatch):
    from agora.panels import services as panels

    panel, selected = drawn_panel(app, monkeypatch)
    user = make_user("rita.peeters@example.org")
    with unit_of_work():
        member = services.confirm_seat(user, selected)
    assert selected.status == "confirmed" and member.is_active
    with unit_of_work():
        services.decline_seat(user, selected, reason="ill")
    db.session.expire_all()
    assert db.session.get(PanelMember, member.id).left_at is not None
    assert db.session.get(Respondent, selected.id).status == "declined"
    assert str(selected.number) not in panels.current_panel_numbers(panel)
    with pytest.raises(PhaseClosed), unit_of_work():
        services.confirm_seat(user, db.session.get(Respondent, selected.id))


def test_exported_names_cannot_run_as_spreadsheet_formulas(inviting_panel):
    with unit_of_work():
        respondent = services.sign_up(None, inviting_panel, signup_data(
            codes(inviting_panel)[0], full_name='=HYPERLINK("http://evil.example","x")'))
    respondent.status = "selected"
    db.session.commit()
    body = services.seat_links_csv("cli", inviting_panel)
    assert "'=HYPERLINK" in body and ',=HYPERLINK' not in body


def _seat_links_in(panel, text: str) -> list[int]:
    """The respondents the seat links in ``text`` resolve to (a token carries the second it was signed, so
    one made again a second later is another string)."""
    import re

    tokens = re.findall(rf"/panels/{panel.id}/seat/([\w.-]+)", text)
    return [services.respondent_from_token(panel, token).id for token in tokens]


def test_seat_links_list_export_and_mail_are_audited(selected):
    links = services.list_seat_links("cli", selected.panel)
    assert [r.id for r, _link in links] == [selected.id]
    body = services.seat_links_csv("cli", selected.panel)
    assert _seat_links_in(selected.panel, body) == [selected.id] and "rita.peeters@example.org" in body
    assert services.mail_seat_links("cli", selected.panel) == 1
    from agora.accounts.models import OutboxMessage

    mail = db.session.scalars(select(OutboxMessage)).one()
    assert mail.recipient == "rita.peeters@example.org" and _seat_links_in(selected.panel, mail.body) == [selected.id]
    assert _audit("panel.seat_links.export") and _audit("panel.seat_links.mail")


# --- command line --------------------------------------------------------------------------------

def test_cli_draws_verifies_and_exports(app, runner, tmp_path):
    with app.test_request_context():
        import_register({"Centrum": 30, "Heverlee": 10})
        panel_id = make_panel().id
        db.session.remove()
    result = runner.invoke(args=["invitations", "draw", str(panel_id), "--count", "8", "--seed", "3-3-6"])
    assert result.exit_code == 0, result.output
    assert "8 invitations" in result.output and "Centrum: population 30, exact quota 6.00, drawn 6" in result.output
    verify = runner.invoke(args=["invitations", "verify", str(panel_id)])
    assert verify.exit_code == 0 and "reproduces" in verify.output
    out = tmp_path / "addresses.csv"
    assert runner.invoke(args=["invitations", "export", str(panel_id), "-o", str(out)]).exit_code == 0
    assert len(out.read_text().strip().split("\n")) == 9
    letters = tmp_path / "letters.html"
    result = runner.invoke(args=["invitations", "letters", str(panel_id), "-o", str(letters)])
    assert result.exit_code == 0, result.output
    assert letters.read_text().count('class="letter"') == 8
    missing = runner.invoke(args=["invitations", "draw", "9999", "--count", "8", "--seed", "x"])
    assert missing.exit_code != 0 and "no panel number 9999" in missing.output
    too_many = runner.invoke(args=["invitations", "draw", str(panel_id), "--count", "500", "--seed", "x"])
    assert too_many.exit_code != 0 and "only" in too_many.output
