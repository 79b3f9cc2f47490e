"""``agora invitations ...``: the invitation lottery from the command line (same services as the pages)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from agora.db import unit_of_work


class _Group(click.Group):
    """Turns a service's AgoraError (unknown panel, bad count...) into a one-line CLI error."""

    def invoke(self, ctx: click.Context):
        from agora.errors import AgoraError

        try:
            return super().invoke(ctx)
        except AgoraError as error:
            raise click.ClickException(error.message) from error


invitations_group = _Group("invitations", help="Panel invitations: the lottery, letters, confirmation links.")


def _write(body: str, output: Path | None) -> None:
    if output is None:
        click.echo(body, nl=False)
    else:
        output.write_text(body, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


@invitations_group.command("draw")
@click.argument("panel_id", type=int)
@click.option("--count", required=True, type=int, help="Number of invitations (letters) to draw.")
@click.option("--seed", required=True, help="The published seed (dice rolls, a lottery number...).")
@with_appcontext
def draw_command(panel_id: int, count: int, seed: str) -> None:
    """Draw invitations from the census register, stratified by district, with a published seed."""
    from agora.panels import invitation_services as services

    with unit_of_work():
        draw = services.draw_invitations("cli", services.get_panel(panel_id), count=count, seed=seed)
        draw_id, frame_hash, allocation = draw.id, draw.frame_hash, draw.allocation
        drawn = len(draw.invitations)
    click.echo(f"draw {draw_id}: {drawn} invitations, seed {seed!r}, frame hash {frame_hash}")
    for row in allocation:
        click.echo(f"  {row['district']}: population {row['population']}, exact quota {row['exact_quota']:.2f}, "
                   f"drawn {row['allocated']}")


@invitations_group.command("verify")
@click.argument("panel_id", type=int)
@click.option("--draw", "draw_id", type=int, help="One draw (default: every draw of the panel).")
@with_appcontext
def verify_command(panel_id: int, draw_id: int | None) -> None:
    """Re-run the panel's draws on the current register; exit 1 if one does not reproduce."""
    from agora.panels import invitation_services as services

    panel = services.get_panel(panel_id)
    draws = [services.get_draw(panel, draw_id)] if draw_id else services.list_draws("cli", panel)
    failed = False
    for draw in draws:
        check = services.verify_draw("cli", draw)
        state = "reproduces" if check.ok else (
            "register changed (frame hash differs)" if not check.frame_matches else "LIST DIFFERS")
        click.echo(f"draw {draw.id} (seed {draw.seed!r}, {draw.count} invitations): {state}")
        failed = failed or not check.ok
    if failed:
        sys.exit(1)


@invitations_group.command("export")
@click.argument("panel_id", type=int)
@click.option("--draw", "draw_id", type=int, help="One draw (default: all).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@with_appcontext
def export_command(panel_id: int, draw_id: int | None, output: Path | None) -> None:
    """The invitation addresses with their codes, as CSV (personal data: keep it safe)."""
    from agora.panels import invitation_services as services

    with unit_of_work():
        panel = services.get_panel(panel_id)
        body = services.addresses_csv("cli", panel, services.get_draw(panel, draw_id) if draw_id else None)
    _write(body, output)


@invitations_group.command("letters")
@click.argument("panel_id", type=int)
@click.option("--draw", "draw_id", type=int, help="One draw (default: all unused invitations).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to print (one letter per page).")
@with_appcontext
def letters_command(panel_id: int, draw_id: int | None, output: Path) -> None:
    """Write the printable invitation letters (set AGORA_PUBLIC_URL for the sign-up address)."""
    from agora.panels import invitation_services as services
    from agora.panels.signup_views import render_letters

    base = current_app.config.get("PUBLIC_URL") or "http://localhost"
    with current_app.test_request_context("/", base_url=base):
        with unit_of_work():
            panel = services.get_panel(panel_id)
            chosen = services.letters("cli", panel, services.get_draw(panel, draw_id) if draw_id else None)
        page = render_letters(panel, chosen, standalone=True)
    _write(page, output)
    click.echo(f"{len(chosen)} letters", err=True)


@invitations_group.command("links")
@click.argument("panel_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout).")
@click.option("--mail", is_flag=True, help="Also e-mail each selected person who has not answered their link.")
@with_appcontext
def links_command(panel_id: int, output: Path | None, mail: bool) -> None:
    """The confirm/decline links of the selected, as CSV (set AGORA_PUBLIC_URL for absolute links)."""
    from agora.panels import invitation_services as services

    with unit_of_work():
        panel = services.get_panel(panel_id)
        body = services.seat_links_csv("cli", panel)
        sent = services.mail_seat_links("cli", panel) if mail else None
    _write(body, output)
    if sent is not None:
        click.echo(f"{sent} links e-mailed", err=True)
