"""`leadreel map` and `leadreel import`: the importer for scripts and checks.

Why here and not in cli.py: the commands belong to the import feature; cli.py calls
`register(main)` when this module exists. They use the same services as the web flow
(`importer.propose_for_file`, `importer.import_file`), so a
scripted import is exactly what the UI would have done with the proposed mapping.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from leadreel.services.importing.parsing import ImportFileError


def _session():  # type: ignore[no-untyped-def]
    from leadreel.app import create_app  # noqa: PLC0415 - migrates on first use
    from leadreel.extensions import db  # noqa: PLC0415

    app = create_app()
    return app.config["SETTINGS"], db.new_session()


def load_mapping_file(path: Path) -> dict[str, str | None]:
    """A mapping file: `{"Header": "field" | null}` or the output of `leadreel map --json`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read mapping file {path}: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("columns"), list):
        return {str(c["header"]): c.get("field") for c in data["columns"]}
    if isinstance(data, dict) and all(v is None or isinstance(v, str) for v in data.values()):
        return {str(k): v for k, v in data.items()}
    raise click.ClickException(
        'a mapping file is {"Header": "field" or null} or the output of `leadreel map --json`'
    )


KIND_OPTION = click.option(
    "--kind",
    type=click.Choice(["people", "businesses"]),
    default=None,
    help="Treat each row as a person or a business (default: decided from the file).",
)


@click.command("map")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@KIND_OPTION
def map_command(file: Path, as_json: bool, kind: str | None) -> None:
    """Show how FILE is read and which field each column maps to."""
    from leadreel.services.importing.importer import propose_for_file  # noqa: PLC0415

    settings, opened = _session()
    with opened as session:
        try:
            fmt, _sample, proposal = propose_for_file(session, settings, file, kind=kind)
        except ImportFileError as exc:
            raise click.ClickException(str(exc)) from exc
    out: dict[str, Any] = {
        "encoding": fmt.encoding,
        "delimiter": fmt.delimiter,
        "rows_are": proposal.kind,
        "kind_reasons": proposal.kind_reasons,
        "columns": [
            {
                "header": c.header,
                "field": c.field,
                "confidence": c.confidence,
                "source": c.source,
                "reason": c.reason,
            }
            for c in proposal.columns
        ],
    }
    if proposal.warnings:
        out["warnings"] = proposal.warnings
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(f"{fmt.kind}  encoding={fmt.encoding}  delimiter={fmt.delimiter!r}")
    click.echo(f"rows are {proposal.kind}: {'; '.join(proposal.kind_reasons) or 'no strong signs'}")
    for c in proposal.columns:
        click.echo(
            f"  {c.header:<32} -> {c.field or '(extra)':<22} {c.confidence:.2f} {c.source}"
            f"  {c.reason}"
        )
    for warning in proposal.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch", "batch_name", default=None, help="Batch name (default: the file name).")
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON mapping to use instead of the proposal.",
)
@click.option("--owner", default=None, help="Email of the user who will own the leads.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@KIND_OPTION
def import_command(
    file: Path,
    batch_name: str | None,
    mapping_file: Path | None,
    owner: str | None,
    as_json: bool,
    kind: str | None,
) -> None:
    """Import FILE now (no worker needed) and print the counts."""
    from sqlalchemy import select  # noqa: PLC0415

    from leadreel.models import User  # noqa: PLC0415
    from leadreel.services.importing.importer import import_file  # noqa: PLC0415

    mapping = load_mapping_file(mapping_file) if mapping_file else None
    settings, opened = _session()
    with opened as session:
        user = None
        if owner:
            user = session.scalar(select(User).where(User.email == owner.strip().lower()))
            if user is None:
                raise click.ClickException(f"no user with email {owner}")
        try:
            batch, counts = import_file(
                session, settings, file, owner=user, name=batch_name, mapping=mapping, kind=kind
            )
        except (ImportFileError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        result = {"batch_id": batch.id, "status": batch.status, **counts}
        if batch.error_report_path:
            result["rejected_report"] = batch.error_report_path
        if batch.warnings:
            result["warnings"] = list(batch.warnings)
    if as_json:
        click.echo(json.dumps(result))
        return
    for key, value in result.items():
        click.echo(f"{key:<20} {value}")


def register(main: click.Group) -> None:
    """Called by `leadreel.cli` at import."""
    main.add_command(map_command)
    main.add_command(import_command)
