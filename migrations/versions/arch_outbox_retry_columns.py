"""outbox retry state in columns, not in last_error prefixes

Revision ID: 3c1f0a9d2b7e
Revises: e7aa9b9b6f1a
Create Date: 2026-12-01 20:45:00

Entries written before this revision carried their retry state in `last_error`:
"[maybe delivered] reason" and "[re-stamp] N reason". The upgrade moves it into the new
columns and strips the prefixes; the downgrade writes them back.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3c1f0a9d2b7e"
down_revision = "e7aa9b9b6f1a"
branch_labels = None
depends_on = None

AMBIGUOUS_MARK = "[maybe delivered] "
RESTAMP_MARK = "[re-stamp] "

entries = sa.table(
    "grade_outbox_entry",
    sa.column("id", sa.Integer),
    sa.column("last_error", sa.String),
    sa.column("maybe_delivered", sa.Boolean),
    sa.column("restamps", sa.Integer),
    sa.column("needs_restamp", sa.Boolean),
)


def upgrade():
    with op.batch_alter_table("grade_outbox_entry") as batch:
        batch.add_column(
            sa.Column("maybe_delivered", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("restamps", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("needs_restamp", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(entries.c.id, entries.c.last_error).where(
            sa.or_(
                entries.c.last_error.like(AMBIGUOUS_MARK + "%"),
                entries.c.last_error.like(RESTAMP_MARK + "%"),
            )
        )
    ).all()
    for entry_id, last_error in rows:
        values = {}
        if last_error.startswith(AMBIGUOUS_MARK):
            values["maybe_delivered"] = True
            last_error = last_error.removeprefix(AMBIGUOUS_MARK)
        elif last_error.startswith(RESTAMP_MARK):
            count, _, last_error = last_error.removeprefix(RESTAMP_MARK).partition(" ")
            values["restamps"] = int(count) if count.isdigit() else 1
            values["needs_restamp"] = True
        values["last_error"] = last_error
        connection.execute(entries.update().where(entries.c.id == entry_id).values(**values))


def downgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            entries.c.id, entries.c.last_error, entries.c.maybe_delivered, entries.c.restamps
        ).where(sa.or_(entries.c.maybe_delivered.is_(True), entries.c.needs_restamp.is_(True)))
    ).all()
    for entry_id, last_error, maybe_delivered, restamps in rows:
        mark = AMBIGUOUS_MARK if maybe_delivered else f"{RESTAMP_MARK}{restamps} "
        connection.execute(
            entries.update()
            .where(entries.c.id == entry_id)
            .values(last_error=(mark + last_error)[:1000])
        )
    with op.batch_alter_table("grade_outbox_entry") as batch:
        batch.drop_column("needs_restamp")
        batch.drop_column("restamps")
        batch.drop_column("maybe_delivered")
