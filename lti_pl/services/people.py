"""A person's data on request (FERPA / GDPR): export it, or erase it, across every course.

A person is one LMS user on one platform (issuer + LMS user id). Their rows are found through
the schema itself: every row whose foreign key points at the person, at one of their
enrollments, or (transitively) at a row already found. A table added later is covered without
a change here. Files those rows name (`stored_name`) are exported or deleted with them.

Erasure leaves one `ErasureRecord`: that an erasure happened, when, on which platform, with the
operator's reference, never who it was or what was erased.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select, update

from lti_pl.domain.errors import NotFoundError
from lti_pl.extensions import db
from lti_pl.models.courses import Person
from lti_pl.models.platforms import Platform
from lti_pl.models.security import ErasureRecord
from lti_pl.services import uploads

#: Tables never walked into: registrations and keys are not personal data, and the audit of
#: erasures must survive them.
NOT_PERSONAL = frozenset({"platform", "deployment", "tool_key", "erasure_record", "course"})


@dataclass
class Holdings:
    """Rows (by table) and stored files that belong to a person or a course.

    Attributes:
        rows: rows owned (reached through NOT NULL foreign keys), by table.
        mentions: (table, column) -> ids of other rows that only point at an owned row through
            a nullable foreign key (a teacher as the author of a student's assessment): on
            erasure the pointer is cleared, the row (someone else's data) stays.
        files: stored file names the owned rows name.
    """

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    mentions: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per table, for a dry run."""
        return {name: len(rows) for name, rows in sorted(self.rows.items()) if rows}


def _tables() -> Mapping[str, Table]:
    return db.metadata.tables


def collect(root_table: str, root_ids: set[int]) -> Holdings:
    """Every row reachable from `root_table` rows by following NOT NULL foreign keys backwards.

    Args:
        root_table: where to start ("person" or "course").
        root_ids: the starting rows' ids.
    """
    found: dict[str, set[int]] = {root_table: set(root_ids)}
    rows_by_table: dict[str, dict[Any, dict[str, Any]]] = {}
    changed = True
    while changed:
        changed = False
        for name, table in _tables().items():
            if name in NOT_PERSONAL and name != root_table:
                continue
            conditions = [
                fk.parent.in_(sorted(found[fk.column.table.name]))
                for fk in table.foreign_keys
                if found.get(fk.column.table.name)
                and fk.column.name == "id"
                and not fk.parent.nullable
            ]
            if name == root_table:
                conditions.append(table.c.id.in_(sorted(root_ids)))
            if not conditions:
                continue
            keys = list(table.primary_key.columns)
            seen = rows_by_table.setdefault(name, {})
            for row in db.session.execute(select(table).where(or_(*conditions))).mappings():
                key = tuple(row[c.name] for c in keys)
                if key in seen:
                    continue
                seen[key] = dict(row)
                if "id" in table.c:
                    found.setdefault(name, set()).add(int(row["id"]))
                changed = True
    holdings = Holdings()
    for name, rows in rows_by_table.items():
        if rows:
            holdings.rows[name] = list(rows.values())
        holdings.files += [str(r["stored_name"]) for r in rows.values() if r.get("stored_name")]
    for name, table in _tables().items():
        if "id" not in table.c:
            continue
        for fk in table.foreign_keys:
            parents = found.get(fk.column.table.name)
            if not parents or not fk.parent.nullable or fk.column.name != "id":
                continue
            owned = found.get(name, set())
            ids = [
                int(i)
                for i in db.session.scalars(
                    select(table.c.id).where(fk.parent.in_(sorted(parents)))
                )
                if int(i) not in owned
            ]
            if ids:
                holdings.mentions[(name, fk.parent.name)] = ids
    return holdings


def delete_holdings(holdings: Holdings, upload_folder: str) -> None:
    """Clear mentions, delete the owned rows (children first) and, after commit, their files."""
    tables = _tables()
    for (name, column), ids in holdings.mentions.items():
        table = tables[name]
        db.session.execute(update(table).where(table.c.id.in_(ids)).values({column: None}))
    order = [t.name for t in reversed(db.metadata.sorted_tables) if t.name in holdings.rows]
    for name in order:
        table = tables[name]
        keys = list(table.primary_key.columns)
        for row in holdings.rows[name]:
            db.session.execute(delete(table).where(*[c == row[c.name] for c in keys]))
    for stored_name in holdings.files:
        try:
            uploads.remove_after_commit(upload_folder, stored_name)
        except Exception:  # noqa: S112 - a name we did not make is no file of ours
            continue
    db.session.flush()


def find_person(platform: str, user_id: str) -> tuple[Platform, Person]:
    """The person of LMS user `user_id` on the platform (its row id or issuer).

    Raises:
        NotFoundError: no such platform or person.
    """
    query = select(Platform)
    query = (
        query.where(Platform.id == int(platform))
        if platform.isdigit()
        else query.where(Platform.issuer == platform)
    )
    registration = db.session.scalars(query.order_by(Platform.id)).first()
    if registration is None:
        raise NotFoundError("No platform with that id or issuer.")
    person = db.session.scalars(
        select(Person).where(Person.issuer == registration.issuer, Person.subject == user_id)
    ).first()
    if person is None:
        raise NotFoundError("No person with that LMS user id on this platform.")
    return registration, person


def export_person(platform: str, user_id: str) -> Holdings:
    """Everything stored about a person, across courses (rows and the names of their files)."""
    _registration, person = find_person(platform, user_id)
    return collect("person", {person.id})


def erase_person(
    platform: str, user_id: str, *, upload_folder: str, now: datetime, reference: str = ""
) -> Holdings:
    """Erase a person's rows and files across courses and record that an erasure happened.

    Returns:
        What was erased (for the operator's dry run and confirmation; never stored).
    """
    registration, person = find_person(platform, user_id)
    holdings = collect("person", {person.id})
    delete_holdings(holdings, upload_folder)
    db.session.add(
        ErasureRecord(platform_id=registration.id, erased_at=now, reference=reference[:255])
    )
    db.session.flush()
    return holdings
