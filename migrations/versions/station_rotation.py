"""Station rotations: groups x time slots x stations, with a start time and slot length

Revision ID: 8b2e4f6a1c93
Revises: 5d1c0a7e3b21
Create Date: 2026-12-02 00:20:00

"""

from alembic import op
import sqlalchemy as sa


revision = "8b2e4f6a1c93"
down_revision = "5d1c0a7e3b21"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "station_rotation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("stations", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_station_rotation_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["enrollment.id"],
            name=op.f("fk_station_rotation_created_by_id_enrollment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["learning_target.id"],
            name=op.f("fk_station_rotation_target_id_learning_target"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_rotation")),
    )
    with op.batch_alter_table("station_rotation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_station_rotation_course_id"), ["course_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("station_rotation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_rotation_course_id"))
    op.drop_table("station_rotation")
