"""求职认证: employers' verification requests and learners' presentations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "presentation_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("visitor_name", sa.String(length=200), nullable=True),
        sa.Column("manage_token_hash", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("requirements", sa.JSON(), nullable=False),
        sa.Column("ask_name", sa.Boolean(), nullable=False),
        sa.Column("accept", sa.JSON(), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=300), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("expires_at", _MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["employer_id"], ["employers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("manage_token_hash"),
    )
    op.create_index(op.f("ix_presentation_requests_employer_id"), "presentation_requests",
                    ["employer_id"])
    op.create_table(
        "presentations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column("credential_ids", sa.JSON(), nullable=False),
        sa.Column("name_revealed", sa.Boolean(), nullable=False),
        sa.Column("verified_on_arrival", sa.Boolean(), nullable=True),
        sa.Column("result_on_arrival", sa.Text(), nullable=True),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("withdrawn_at", _MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["presentation_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "learner_id",
                            name="uq_presentations_request_learner"),
    )
    op.create_index(op.f("ix_presentations_request_id"), "presentations", ["request_id"])
    op.create_index(op.f("ix_presentations_learner_id"), "presentations", ["learner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_presentations_learner_id"), table_name="presentations")
    op.drop_index(op.f("ix_presentations_request_id"), table_name="presentations")
    op.drop_table("presentations")
    op.drop_index(op.f("ix_presentation_requests_employer_id"),
                  table_name="presentation_requests")
    op.drop_table("presentation_requests")
