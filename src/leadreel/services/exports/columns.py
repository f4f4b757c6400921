"""The three kinds of export column, validated by pydantic, and the check against the catalogue.

* ``field``: one field's value (core, custom or video), e.g. ``{"kind": "field", "field":
  "first_name", "header": "First name"}``;
* ``fixed``: the same text on every row (``{"kind": "fixed", "value": "Q4 campaign"}``);
* ``format``: fields inside text with the video-text syntax, ``{first_name|there} from
  {company_name}`` (``{name|fallback}``, ``{{`` for a literal brace).

Templates are stored as this JSON (``ExportTemplate.columns``); a bad column fails with a
message naming the column and the bad value before any row is read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic import ValidationError as PydanticError

from leadreel.errors import ValidationError
from leadreel.render.templates import text_variables
from leadreel.services.exports.catalog import Catalog

MAX_COLUMNS = 200


class _Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str = Field(min_length=1, max_length=200)


class FieldColumn(_Column):
    kind: Literal["field"] = "field"
    field: str = Field(min_length=1, max_length=100)


class FixedColumn(_Column):
    kind: Literal["fixed"]
    value: str = Field(default="", max_length=2000)


class FormatColumn(_Column):
    kind: Literal["format"]
    format: str = Field(min_length=1, max_length=2000)


Column = Annotated[FieldColumn | FixedColumn | FormatColumn, Field(discriminator="kind")]
_COLUMNS = TypeAdapter(list[Column])


def parse_columns(data: Any, catalog: Catalog) -> list[FieldColumn | FixedColumn | FormatColumn]:
    """Validate a template's columns (JSON list) against the catalogue; ValidationError names
    the first bad column."""
    if not isinstance(data, list):
        raise ValidationError("columns must be a list")
    if not data:
        raise ValidationError("a template needs at least one column")
    if len(data) > MAX_COLUMNS:
        raise ValidationError(f"a template has at most {MAX_COLUMNS} columns, got {len(data)}")
    rows = [
        ({"kind": "field", **c} if isinstance(c, dict) and "kind" not in c else c) for c in data
    ]
    try:
        columns = _COLUMNS.validate_python(rows)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = first["loc"]
        number = int(where[0]) + 1 if where and isinstance(where[0], int) else "?"
        field = ".".join(str(p) for p in where[2:]) or "column"
        raise ValidationError(f"column {number}: {field}: {first['msg']}") from None
    for number, column in enumerate(columns, start=1):
        for key in referenced_keys(column):
            if catalog.get(key) is None:
                raise ValidationError(
                    f"column {number} ({column.header!r}) uses unknown field {key!r}"
                )
    return columns


def referenced_keys(column: FieldColumn | FixedColumn | FormatColumn) -> set[str]:
    """The field keys a column reads."""
    if isinstance(column, FieldColumn):
        return {column.field}
    if isinstance(column, FormatColumn):
        return text_variables(column.format)
    return set()


def dump_columns(columns: list[FieldColumn | FixedColumn | FormatColumn]) -> list[dict[str, Any]]:
    return [c.model_dump() for c in columns]
