"""Bulk checks: an employer's stored reports over many candidates

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bulk_checks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("finished_at", _MOMENT, nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["employer_id"], ["employers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bulk_checks_employer_id", "bulk_checks", ["employer_id"])
    op.create_index("ix_bulk_checks_created_at", "bulk_checks", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_bulk_checks_created_at", table_name="bulk_checks")
    op.drop_index("ix_bulk_checks_employer_id", table_name="bulk_checks")
    op.drop_table("bulk_checks")
