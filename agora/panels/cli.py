"""``agora panels ...`` and ``agora jobs worker``: the same services as the web pages, from a terminal."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from agora.db import db, unit_of_work
from agora.errors import AgoraError

panels_group = click.Group("panels", help="Citizens' panels: respondents, the public draw, verification.")
jobs_group = click.Group("jobs", help="Background jobs (draws).")


def _panel(panel_id: int):
    from agora.panels.models import Panel

    panel = db.session.get(Panel, panel_id)
    if panel is None:
        raise click.ClickException(f"there is no panel {panel_id}")
    return panel


def summary_lines(panel) -> list[str]:
    """A short text summary of a drawn panel (printed by ``panels draw`` and ``panels show``)."""
    from agora.panels import services

    lines = [f"panel {panel.id}: {panel.title} ({panel.status})"]
    draw = panel.draw
    if draw is None:
        return [*lines, "no commitment yet"]
    lines += [f"pool sha256:   {draw.pool_sha256}", f"quotas sha256: {draw.quotas_sha256}",
              f"method: {draw.method}" + (f", lottery of {draw.lottery_panels} panels" if draw.lottery_panels else "")
              + f", library sortition {draw.library_version}", f"seed: {draw.seed or '-'}"]
    if draw.result is None:
        return lines
    summary = services.probability_summary(draw.result)
    lines.append(f"selected {len(draw.result['panel'])} of {summary['n']}: {', '.join(draw.result['panel'])}")
    lines.append(f"alternates: {', '.join(draw.result.get('alternates', [])) or '-'}")
    lines.append(f"probabilities: min {summary['minimum']:.4f}, median {summary['median']:.4f}, "
                 f"max {summary['maximum']:.4f}, uniform k/n {summary['uniform']:.4f}")
    for row in services.composition(panel):
        lines.append(f"  {row['feature']}={row['value']}: {row['selected']} (quota {row['min']}-{row['max']}, "
                     f"pool {row['pool']})")
    lines.append(f"verify: {services.verify_command(panel)}")
    return lines


@panels_group.command("import-respondents")
@click.argument("panel_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Remove the respondents of earlier uploads still in the pool first.")
@with_appcontext
def import_respondents_command(panel_id: int, path: Path, replace: bool) -> None:
    """Add the respondents of a CSV file to a panel's pool (all or nothing)."""
    from agora.panels import services

    try:
        with unit_of_work():
            report = services.import_respondents("cli", _panel(panel_id), path.read_bytes(), filename=path.name,
                                                 replace=replace)
    except services.RespondentsFileError as error:
        for row in error.errors:
            click.echo(f"{path.name}: {row}", err=True)
        raise click.ClickException(error.message) from error
    except AgoraError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{report.filename}: {report.added} respondents added, {report.replaced} replaced")


@panels_group.command("draw")
@click.argument("panel_id", type=int)
@click.option("--seed", required=True, help="The public seed (dice, lottery number...).")
@click.option("--method", type=click.Choice(["leximin", "maximin", "nash", "legacy"]), default=None,
              help="Selection method when the commitment is published here (default leximin).")
@click.option("--lottery-panels", type=int, default=None, help="Round to a lottery of this many panels.")
@click.option("--alternates", type=int, default=None, help="Alternates to draw (default: the panel size).")
@with_appcontext
def draw_command(panel_id: int, seed: str, method: str | None, lottery_panels: int | None,
                 alternates: int | None) -> None:
    """Publish the commitment if needed, enter the seed and run the draw here (synchronously)."""
    from agora.panels import services

    try:
        panel = _panel(panel_id)
        if panel.draw is None:
            with unit_of_work():
                draw = services.publish_commitment("cli", panel, method=method or "leximin",
                                                   lottery_panels=lottery_panels, alternates=alternates)
                click.echo(f"commitment published: pool {draw.pool_sha256}, quotas {draw.quotas_sha256}")
        elif method or lottery_panels or alternates is not None:
            raise click.ClickException("the commitment is already published: its method and alternates are fixed")
        with unit_of_work():
            services.enter_seed("cli", _panel(panel_id), seed, background=False)
        started = time.perf_counter()

        def report(fraction: float, message: str) -> None:
            click.echo(f"\r{100 * fraction:5.1f} % {message[:60]:<60}", nl=False, err=True)

        services.run_draw(panel_id, report if sys.stderr.isatty() else None)
        click.echo(f"drawn in {time.perf_counter() - started:.1f} s", err=True)
    except AgoraError as error:
        if isinstance(error.details, dict):
            for line in error.details.get("conflicts", []) + error.details.get("suggestions", []):
                click.echo(line, err=True)
        raise click.ClickException(error.message) from error
    db.session.expire_all()
    click.echo("\n".join(summary_lines(_panel(panel_id))))


@panels_group.command("verify")
@click.argument("panel_id", type=int)
@with_appcontext
def verify_command(panel_id: int) -> None:
    """Re-check a drawn panel against its commitment with the library's verifier; exit 1 if it does not match."""
    from agora.panels import services

    try:
        report = services.verify_draw(_panel(panel_id))
    except AgoraError as error:
        raise click.ClickException(error.message) from error
    if report.ok:
        click.echo("verified")
        return
    for reason in report.reasons:
        click.echo(reason, err=True)
    click.echo("NOT verified", err=True)
    sys.exit(1)


@panels_group.command("show")
@click.argument("panel_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the stored result JSON.")
@with_appcontext
def show_command(panel_id: int, as_json: bool) -> None:
    """Print a panel's commitment and result."""
    panel = _panel(panel_id)
    if as_json:
        click.echo(json.dumps(panel.draw.result if panel.draw else None, indent=2))
    else:
        click.echo("\n".join(summary_lines(panel)))


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs: an RQ worker when REDIS_URL is set and rq installed, else poll the database."""
    from agora import jobs

    app = current_app._get_current_object()
    click.echo(f"jobs worker ({jobs.backend(app)} backend){' in burst mode' if burst else ''}")
    jobs.work(app, burst=burst)
