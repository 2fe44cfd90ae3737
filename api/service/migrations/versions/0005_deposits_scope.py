"""learners' deposits (成果存入), and issuers' accreditation scope

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deposits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("standard_hint", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("scan", sa.LargeBinary(), nullable=True),
        sa.Column("scan_media_type", sa.String(length=32), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=500), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("standard_code", sa.String(length=100), nullable=True),
        sa.Column("standard_version", sa.String(length=100), nullable=True),
        sa.Column("credential_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deposits_queue", "deposits", ["state", "submitted_at"])
    op.create_index(op.f("ix_deposits_learner_id"), "deposits", ["learner_id"])
    with op.batch_alter_table("issuers") as batch:
        batch.add_column(sa.Column("scope_sectors", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("scope_max_level", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("scope_max_level_rank", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issuers") as batch:
        batch.drop_column("scope_max_level_rank")
        batch.drop_column("scope_max_level")
        batch.drop_column("scope_sectors")
    op.drop_index(op.f("ix_deposits_learner_id"), table_name="deposits")
    op.drop_index("ix_deposits_queue", table_name="deposits")
    op.drop_table("deposits")
