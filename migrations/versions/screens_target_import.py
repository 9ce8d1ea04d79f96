"""Uploaded targets CSV files waiting for their background import job

Revision ID: 2f6b8d0c4e17
Revises: 8b4e2f6a9c15
Create Date: 2026-12-02 00:55:00

"""

from alembic import op
import sqlalchemy as sa


revision = "2f6b8d0c4e17"
down_revision = "8b4e2f6a9c15"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "target_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("progress_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_target_import_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["progress_id"],
            ["job_progress.id"],
            name=op.f("fk_target_import_progress_id_job_progress"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_import")),
        sa.UniqueConstraint("progress_id", name=op.f("uq_target_import_progress_id")),
    )
    with op.batch_alter_table("target_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_import_course_id"), ["course_id"], unique=False)


def downgrade():
    with op.batch_alter_table("target_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_import_course_id"))
    op.drop_table("target_import")
