"""The ``agora`` command line. Every command calls the same services as the web views."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from agora.db import unit_of_work


def _create_app() -> Flask:
    from agora import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, help="Agora: participatory democracy for cities.")
def main() -> None:
    """Entry point of the ``agora`` console script."""


def ensure_instance_config(app_instance_path: str) -> Path:
    """Write ``instance/config.py`` with a random SECRET_KEY if there is none yet."""
    folder = Path(app_instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.py"
    if not path.exists():
        path.write_text(
            "# Written by `agora init`: keep it secret, keep it out of version control.\n"
            f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n",
            encoding="utf-8",
        )
        path.chmod(0o600)
    return path


@main.command("init", with_appcontext=False)
def init_command() -> None:
    """Create the instance folder with a random secret key, and migrate the database."""
    app = _bootstrap_app({})
    click.echo(f"Instance folder: {app.instance_path}")
    click.echo(f"Database: {app.config['SQLALCHEMY_DATABASE_URI']}")


def _bootstrap_app(overrides: dict) -> Flask:
    from flask_migrate import upgrade

    from agora import create_app

    # The same instance folder create_app will use, found before the app exists.
    instance = os.environ.get("AGORA_INSTANCE_PATH") or Flask("agora", instance_relative_config=True).instance_path
    ensure_instance_config(instance)
    app = create_app(overrides)
    with app.app_context():
        upgrade()
    return app


@main.command("demo", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Prepare the database and exit.")
def demo_command(host: str, port: int, no_serve: bool) -> None:
    """Set up a demo city on the local database and serve it (development mode)."""
    from agora import demo

    app = _bootstrap_app({"ENV": "development"})
    with app.app_context():
        with unit_of_work():
            created = demo.seed()
        click.echo("Demo data created." if created else "Demo data already present.")
        click.echo(demo.describe())
    if not no_serve:
        from werkzeug.serving import run_simple

        click.echo(f"\nAgora is running on http://{host}:{port}/  (Ctrl+C to stop)")

        run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add the demo city to the current database if it is empty."""
    from agora import demo

    with unit_of_work():
        created = demo.seed()
    click.echo("Demo data created." if created else "Demo data already present.")


users = click.Group("users", help="Manage accounts.")


@users.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", default="", help="Name shown to others.")
@click.password_option()
@with_appcontext
def create_admin_command(email: str, display_name: str, password: str) -> None:
    """Create an administrator (or make an existing account one)."""
    from agora.accounts import services
    from agora.errors import AgoraError

    try:
        with unit_of_work():
            user = services.create_admin(email=email, display_name=display_name, password=password)
    except AgoraError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{user.email} is an administrator.")


audit_group = click.Group("audit", help="The audit log.")


@audit_group.command("verify")
@click.option("--head", "published_head", metavar="HASH",
              help="a head hash published earlier: also check that this entry is still in the log")
@with_appcontext
def audit_verify_command(published_head: str | None) -> None:
    """Check the hash chain of the audit log; exit 1 if it was tampered with."""
    from agora.audit import verify_chain

    report = verify_chain(published_head)
    if report.ok:
        click.echo(f"audit log intact: {report.entries} entries; head {report.head} (publish it: a later "
                   "'agora audit verify --head' with it detects removed entries)")
        return
    where = f" at entry {report.first_bad_id}" if report.first_bad_id else ""
    click.echo(f"audit log TAMPERED{where}: {report.reason}", err=True)
    sys.exit(1)


census_group = click.Group("census", help="The census register.")


@census_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def census_import_command(path: Path) -> None:
    """Import a census CSV (all or nothing); lists every bad row."""
    from agora.census import services
    from agora.errors import AgoraError

    try:
        with unit_of_work():
            report = services.import_census("cli", path.read_bytes(), filename=path.name)
    except services.CensusFileError as error:
        for row in error.errors:
            click.echo(f"{path.name}:{row.line}: {row.column or '-'}: {row.message} ({row.value!r})", err=True)
        raise click.ClickException(error.message) from error
    except AgoraError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"imported {report.rows} rows: {report.added} added, {report.updated} updated, "
               f"{report.unchanged} unchanged; new districts: {', '.join(report.districts_added) or 'none'}")


proposals_group = click.Group("proposals", help="Citizen proposals.")


@proposals_group.command("archive")
@with_appcontext
def proposals_archive_command() -> None:
    """Archive published proposals that did not succeed within PROPOSALS_ARCHIVE_MONTHS (run it daily)."""
    from agora.proposals import services

    with unit_of_work():
        count = services.archive_stale_proposals("cli")
    click.echo(f"archived {count} proposal{'s' if count != 1 else ''}")


translations_group = click.Group("translations", help="Maintain the nl/fr/es message catalogs.")


@translations_group.command("update")
def translations_update_command() -> None:
    """Extract messages from the code and merge them into each language's .po file."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    pot = root / "agora" / "translations" / "messages.pot"
    subprocess.run(["pybabel", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                    "--sort-output", "--ignore-dirs=.venv instance", "-o", str(pot), "."], cwd=root, check=True)
    subprocess.run(["pybabel", "update", "-i", str(pot), "-d", str(root / "agora" / "translations"),
                    "--no-fuzzy-matching", "--ignore-obsolete"], cwd=root, check=True)
    click.echo("Now translate the empty msgstr entries, then run `agora translations compile`.")


@translations_group.command("compile")
def translations_compile_command() -> None:
    """Compile the .po files into the .mo files the app reads."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    subprocess.run(["pybabel", "compile", "-d", str(root / "agora" / "translations")], check=True)


commitments_group = click.Group("commitments", help="Civic commitments.")


@commitments_group.command("refresh")
@with_appcontext
def commitments_refresh_command() -> None:
    """Mark commitments whose deadline passed unmet as late and notify their followers (run daily)."""
    from agora.commitments import services

    with unit_of_work():
        changed = services.refresh_statuses()
    click.echo(f"{len(changed)} commitment(s) changed status")


mail_group = click.Group("mail", help="Outgoing e-mail.")


@mail_group.command("send-pending")
@with_appcontext
def mail_send_pending_command() -> None:
    """Send the outbox messages the mail server has not taken yet (after an outage)."""
    from agora import mail

    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("MAIL_SERVER is not set: there is no mail server to send to.")
    result = mail.deliver(mail.pending_ids())
    click.echo(f"{result['sent']} sent, {result['failed']} still pending")
    if result["failed"]:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    """Register the app's commands: ``agora <command>`` and ``flask --app agora <command>`` both see them."""
    from agora.panels.cli import jobs_group, panels_group
    from agora.panels.invitation_cli import invitations_group

    for command in (seed_demo_command, users, audit_group, census_group, proposals_group, translations_group,
                    commitments_group, panels_group, jobs_group, invitations_group, mail_group):
        app.cli.add_command(command)
