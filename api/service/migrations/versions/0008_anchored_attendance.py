"""Anchored attendance: venue registers, venue-days closed into Merkle trees, their entries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "venue_registers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_hash", sa.String(length=66), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("published_at", _MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_hash"),
    )
    op.create_table(
        "attendance_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("manifest_hash", sa.String(length=66), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("closed_at", _MOMENT, nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("anchored_at", _MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["register_id"], ["venue_registers.id"]),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("manifest_hash"),
        sa.UniqueConstraint("venue_id", "day", "part", name="uq_attendance_days_venue_day_part"),
    )
    op.create_index(op.f("ix_attendance_days_state"), "attendance_days", ["state"])
    op.create_table(
        "attendance_entries",
        sa.Column("checkin_id", sa.String(length=36), nullable=False),
        sa.Column("day_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=66), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"]),
        sa.ForeignKeyConstraint(["day_id"], ["attendance_days.id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.PrimaryKeyConstraint("checkin_id"),
    )
    op.create_index(op.f("ix_attendance_entries_day_id"), "attendance_entries", ["day_id"])
    op.create_index(op.f("ix_attendance_entries_learner_id"), "attendance_entries",
                    ["learner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_attendance_entries_learner_id"), table_name="attendance_entries")
    op.drop_index(op.f("ix_attendance_entries_day_id"), table_name="attendance_entries")
    op.drop_table("attendance_entries")
    op.drop_index(op.f("ix_attendance_days_state"), table_name="attendance_days")
    op.drop_table("attendance_days")
    op.drop_table("venue_registers")
