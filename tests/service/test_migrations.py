"""The migrations build exactly the schema the models describe, in one line of history."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from api.service.context import Service
from api.service.db import alembic_config, current_revision, upgrade
from api.service.models import Base


def test_migrations_match_the_models(service: Service):
    with service.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_one_head_and_upgrading_twice_is_harmless(service: Service):
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1
    upgrade(service.db.engine)
    assert current_revision(service.db.engine) == heads[0]
