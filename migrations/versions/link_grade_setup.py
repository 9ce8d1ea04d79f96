"""resource_link.grade_setup: what a hand-placed link's gradebook column holds

Revision ID: 8b4e2f6a9c15
Revises: 7a3c9e1f4b20
Create Date: 2026-12-02 00:15:00

A link added by hand in the LMS (Moodle "accept grades from the tool", a Canvas assignment with
an external tool submission) launches with an AGS `lineitem` claim but no custom parameters
naming targets. The teacher says at its first launch what the column holds; launches overwrite
`custom` from the claim, so the choice lives in its own column.
"""

from alembic import op
import sqlalchemy as sa


revision = "8b4e2f6a9c15"
down_revision = "7a3c9e1f4b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("resource_link") as batch:
        batch.add_column(sa.Column("grade_setup", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("resource_link") as batch:
        batch.drop_column("grade_setup")
