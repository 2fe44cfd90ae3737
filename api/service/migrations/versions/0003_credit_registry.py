"""the credit bank's registry: frameworks, outcome standards, rule sets, publications;
credentials keep their figure's unit and sector

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False)]


def _published() -> list[sa.Column | sa.ForeignKeyConstraint]:
    return [sa.Column("publication_id", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(["publication_id"], ["registry_publications.id"])]


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_unit", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("credit_sector", sa.String(length=32), nullable=True))
    op.create_table(
        "registry_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=2300), nullable=False),
        sa.Column("document_hash", sa.String(length=66), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("transaction_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "credit_frameworks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        *_published(), *_stamps(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("framework_id", "version"),
    )
    op.create_table(
        "credit_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        *_published(), *_stamps(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "version"),
    )
    op.create_table(
        "credit_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.String(length=2000), nullable=False),
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=True),
        sa.Column("programme", sa.String(length=200), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        *_published(), *_stamps(),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("set_id", "version"),
    )
    op.create_index(op.f("ix_credit_rule_sets_issuer_id"), "credit_rule_sets", ["issuer_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_rule_sets_issuer_id"), table_name="credit_rule_sets")
    op.drop_table("credit_rule_sets")
    op.drop_table("credit_standards")
    op.drop_table("credit_frameworks")
    op.drop_table("registry_publications")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("credit_sector")
        batch_op.drop_column("credit_unit")
