"""recognition applications, their sources, and the sources decisions counted

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recognition_applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("destination", sa.String(length=2300), nullable=False),
        sa.Column("decider_issuer_id", sa.Integer(), nullable=False),
        sa.Column("authority_decides", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("dry_run", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("excluded", sa.JSON(), nullable=True),
        sa.Column("decision_credential_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["decider_issuer_id"], ["issuers.id"]),
        sa.ForeignKeyConstraint(["decision_credential_id"], ["credentials.id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.ForeignKeyConstraint(["rule_set_id"], ["credit_rule_sets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recognition_queue", "recognition_applications",
                    ["authority_decides", "decider_issuer_id", "state", "submitted_at"])
    op.create_index(op.f("ix_recognition_applications_learner_id"),
                    "recognition_applications", ["learner_id"])
    op.create_table(
        "recognition_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["recognition_applications.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "credential_id"),
    )
    op.create_index(op.f("ix_recognition_sources_credential_id"), "recognition_sources",
                    ["credential_id"])
    op.create_table(
        "recognition_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=64), nullable=False),
        sa.Column("destination_key", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("decision_credential_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["recognition_applications.id"]),
        sa.ForeignKeyConstraint(["credential_id"], ["credentials.id"]),
        sa.ForeignKeyConstraint(["decision_credential_id"], ["credentials.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id", "destination_key"),
    )
    op.create_index(op.f("ix_recognition_uses_decision_credential_id"), "recognition_uses",
                    ["decision_credential_id"])


def downgrade() -> None:
    op.drop_table("recognition_uses")
    op.drop_table("recognition_sources")
    op.drop_index("ix_recognition_queue", table_name="recognition_applications")
    op.drop_index(op.f("ix_recognition_applications_learner_id"),
                  table_name="recognition_applications")
    op.drop_table("recognition_applications")
