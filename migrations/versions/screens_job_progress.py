"""Progress of long jobs (roster sync, bulk grade passback), polled by the teacher's page

Revision ID: 7a3c9e1f4b20
Revises: 8b2e4f6a1c93
Create Date: 2026-12-02 00:10:00

"""

from alembic import op
import sqlalchemy as sa


revision = "7a3c9e1f4b20"
down_revision = "8b2e4f6a1c93"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_job_progress_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_progress")),
    )
    with op.batch_alter_table("job_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_progress_course_id"), ["course_id"], unique=False)


def downgrade():
    with op.batch_alter_table("job_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_progress_course_id"))
    op.drop_table("job_progress")
