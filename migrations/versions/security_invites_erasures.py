"""registration invites and erasure records

Revision ID: 5ec0a1d2b3c4
Revises: 0eab1ccfba48
Create Date: 2026-12-01 20:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5ec0a1d2b3c4"
down_revision = "0eab1ccfba48"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registration_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_invite")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_registration_invite_token_hash")),
    )
    op.create_table(
        "erasure_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_record")),
    )


def downgrade():
    op.drop_table("erasure_record")
    op.drop_table("registration_invite")
