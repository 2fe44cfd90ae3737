"""Citizens' sign-in by OpenID Connect: pending sign-ins (hashed state) and the links from
a provider's subject to a learning account

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oidc_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("expires_at", _MOMENT, nullable=False),
        sa.Column("used_at", _MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
    )
    op.create_index("ix_oidc_states_expires_at", "oidc_states", ["expires_at"])
    op.create_table(
        "oidc_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _MOMENT, nullable=False),
        sa.Column("last_sign_in_at", _MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject", name="uq_oidc_links_subject"),
    )
    op.create_index("ix_oidc_links_learner_id", "oidc_links", ["learner_id"])


def downgrade() -> None:
    op.drop_index("ix_oidc_links_learner_id", table_name="oidc_links")
    op.drop_table("oidc_links")
    op.drop_index("ix_oidc_states_expires_at", table_name="oidc_states")
    op.drop_table("oidc_states")
