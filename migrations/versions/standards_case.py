"""CASE standards frameworks, readiness fits and per-platform standards settings

Revision ID: 5d1c0a7e3b21
Revises: 5ec0a1d2b3c4
Create Date: 2026-12-01 20:45:00

"""

from alembic import op
import sqlalchemy as sa


revision = "5d1c0a7e3b21"
down_revision = "5ec0a1d2b3c4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "standards_framework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("creator", sa.String(length=500), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("adoption_status", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_framework")),
        sa.UniqueConstraint(
            "issuer", "identifier", name=op.f("uq_standards_framework_issuer_identifier")
        ),
    )
    with op.batch_alter_table("standards_framework", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_standards_framework_issuer"), ["issuer"], unique=False
        )
    op.create_table(
        "standard_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("parent_identifier", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=255), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("item_type", sa.String(length=255), nullable=False),
        sa.Column("education_levels", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_retired", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["standards_framework.id"],
            name=op.f("fk_standard_item_framework_id_standards_framework"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standard_item")),
        sa.UniqueConstraint(
            "framework_id", "identifier", name=op.f("uq_standard_item_framework_id_identifier")
        ),
    )
    with op.batch_alter_table("standard_item", schema=None) as batch_op:
        batch_op.create_index("ix_standard_item_identifier", ["identifier"], unique=False)
    op.create_table(
        "standards_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("share_prior_levels", sa.Boolean(), nullable=False),
        sa.Column("programme_roles", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_settings")),
        sa.UniqueConstraint("issuer", name=op.f("uq_standards_settings_issuer")),
    )
    op.create_table(
        "readiness_fit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("standard_key", sa.String(length=80), nullable=False),
        sa.Column("prior", sa.Float(), nullable=False),
        sa.Column("learn", sa.Float(), nullable=False),
        sa.Column("slip", sa.Float(), nullable=False),
        sa.Column("guess", sa.Float(), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_fit")),
        sa.UniqueConstraint(
            "issuer", "standard_key", name=op.f("uq_readiness_fit_issuer_standard_key")
        ),
    )


def downgrade():
    op.drop_table("readiness_fit")
    op.drop_table("standards_settings")
    with op.batch_alter_table("standard_item", schema=None) as batch_op:
        batch_op.drop_index("ix_standard_item_identifier")
    op.drop_table("standard_item")
    with op.batch_alter_table("standards_framework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standards_framework_issuer"))
    op.drop_table("standards_framework")
