"""申学码: employers, venues, activities, learners' cards, used codes, check-ins; API keys
of venue operators and employers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "employers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("retired_at", _MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("retired_at", _MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("starts_at", _MOMENT, nullable=False),
        sa.Column("ends_at", _MOMENT, nullable=False),
        sa.Column("needs_checkout", sa.Boolean(), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("cancelled_at", _MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_activities_venue_id"), "activities", ["venue_id"])
    op.create_table(
        "learner_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("revoked_at", _MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_learner_cards_learner_id"), "learner_cards", ["learner_id"])
    op.create_table(
        "used_codes",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("used_at", _MOMENT, nullable=False),
        sa.Column("expires_at", _MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index(op.f("ix_used_codes_expires_at"), "used_codes", ["expires_at"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("venue_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("employer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_api_keys_venue_id", "venues", ["venue_id"], ["id"])
        batch.create_foreign_key("fk_api_keys_employer_id", "employers", ["employer_id"],
                                 ["id"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("activity_id", sa.String(length=36), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("operator_key_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("checked_in_at", _MOMENT, nullable=False),
        sa.Column("checked_out_at", _MOMENT, nullable=True),
        sa.Column("recorded_at", _MOMENT, nullable=False),
        sa.Column("queued_signature", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["activity_id"], ["activities.id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.ForeignKeyConstraint(["operator_key_id"], ["api_keys.id"]),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "activity_id", name="uq_checkins_learner_activity"),
    )
    op.create_index("ix_checkins_venue_day", "checkins", ["venue_id", "day"])
    op.create_index(op.f("ix_checkins_learner_id"), "checkins", ["learner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_checkins_learner_id"), table_name="checkins")
    op.drop_index("ix_checkins_venue_day", table_name="checkins")
    op.drop_table("checkins")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_employer_id", type_="foreignkey")
        batch.drop_constraint("fk_api_keys_venue_id", type_="foreignkey")
        batch.drop_column("employer_id")
        batch.drop_column("venue_id")
    op.drop_index(op.f("ix_used_codes_expires_at"), table_name="used_codes")
    op.drop_table("used_codes")
    op.drop_index(op.f("ix_learner_cards_learner_id"), table_name="learner_cards")
    op.drop_table("learner_cards")
    op.drop_index(op.f("ix_activities_venue_id"), table_name="activities")
    op.drop_table("activities")
    op.drop_table("venues")
    op.drop_table("employers")
