"""learning points (积分): points rules, the append-only points ledger, thresholds and
their awards

The ledger's rows are refused UPDATE and DELETE by the database itself (a trigger on
SQLite and on PostgreSQL), so no code path, and no mistaken statement, can rewrite one.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)
APPEND_ONLY = "points entries are append-only"

_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER points_entries_no_update BEFORE UPDATE ON points_entries "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    f"CREATE TRIGGER points_entries_no_delete BEFORE DELETE ON points_entries "
    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
]
_POSTGRES_TRIGGERS = [
    "CREATE FUNCTION points_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$",
    "CREATE TRIGGER points_entries_no_change BEFORE UPDATE OR DELETE ON points_entries "
    "FOR EACH ROW EXECUTE FUNCTION points_entries_append_only()",
    "CREATE TRIGGER points_entries_no_truncate BEFORE TRUNCATE ON points_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION points_entries_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "points_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rules_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("updated_at", _MOMENT, nullable=False),
        sa.Column("published_at", _MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["publication_id"], ["registry_publications.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rules_id", "version"),
    )
    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("checkin_id", sa.String(length=36), nullable=True),
        sa.Column("credential_id", sa.String(length=64), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("rules_id", sa.String(length=200), nullable=False),
        sa.Column("rules_version", sa.String(length=200), nullable=False),
        sa.Column("rules_hash", sa.String(length=66), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("quantity_micro", sa.BigInteger(), nullable=False),
        sa.Column("points_micro", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("at", _MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.ForeignKeyConstraint(["reverses_id"], ["points_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_key"),
    )
    op.create_index("ix_points_entries_learner_sector", "points_entries",
                    ["learner_key", "sector"])
    op.create_table(
        "points_thresholds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("amount_micro", sa.BigInteger(), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_zh", sa.String(length=1000), nullable=False),
        sa.Column("description_en", sa.String(length=1000), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=True),
        sa.Column("standard", sa.String(length=100), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("retired_at", _MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "points_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("threshold_id", sa.Integer(), nullable=False),
        sa.Column("learner_key", sa.String(length=64), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("at", _MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["threshold_id"], ["points_thresholds.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("threshold_id", "learner_key"),
        sa.UniqueConstraint("credential_id"),
    )
    op.create_index(op.f("ix_points_awards_learner_key"), "points_awards", ["learner_key"])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER points_entries_no_delete")
        op.execute("DROP TRIGGER points_entries_no_update")
    else:
        op.execute("DROP TRIGGER points_entries_no_truncate ON points_entries")
        op.execute("DROP TRIGGER points_entries_no_change ON points_entries")
        op.execute("DROP FUNCTION points_entries_append_only()")
    op.drop_index(op.f("ix_points_awards_learner_key"), table_name="points_awards")
    op.drop_table("points_awards")
    op.drop_table("points_thresholds")
    op.drop_index("ix_points_entries_learner_sector", table_name="points_entries")
    op.drop_table("points_entries")
    op.drop_table("points_rules")
