"""The migrations build exactly the schema the models describe, in one line of history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from api.service.context import Service
from api.service.db import alembic_config, current_revision, make_engine, upgrade
from api.service.tables import metadata


def test_migrations_match_the_models(service: Service):
    with service.db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_one_head_and_upgrading_twice_is_harmless(service: Service):
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1
    upgrade(service.db.engine)
    assert current_revision(service.db.engine) == heads[0]


def test_0002_upgrades_a_database_made_by_0001(database_url: str):
    """A database of the previous release keeps its status changes, which gain a block."""
    engine = make_engine(database_url)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")  # PostgreSQL's come from a migrated template
            command.upgrade(config, "0001")
        assert current_revision(engine) == "0001"
        now = datetime(2026, 3, 1, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO issuers (id, slug, did, name, directory, next_status_index, "
                "created_at) VALUES (1, 'u', 'did:key:z6Mk', 'U', '/tmp/u', 1, :now)"),
                {"now": now})
            connection.execute(text(
                "INSERT INTO credentials (id, issuer_id, learner_key, status_index, state, "
                "status, claims_root, document, achievement_type, achievement_name, "
                "issued_at) VALUES ('urn:uuid:1', 1, 'k', 0, 'anchored', 'revoked', '0x00', "
                "'{}', 'Course', 'C', :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO status_changes (credential_id, action, reason, note, "
                "transaction_hash, at) VALUES ('urn:uuid:1', 'revoke', 1, '', '0xab', :now)"),
                {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
        assert current_revision(engine) == "0002"
        columns = {c["name"] for c in inspect(engine).get_columns("status_changes")}
        assert "block_number" in columns
        with engine.begin() as connection:
            rows = connection.execute(text(
                "SELECT action, reason, block_number FROM status_changes")).all()
            assert [tuple(r) for r in rows] == [("revoke", 1, None)]
            connection.execute(text("UPDATE status_changes SET block_number = 9007199254740993"))
            assert connection.execute(text(
                "SELECT block_number FROM status_changes")).scalar() == 9007199254740993
    finally:
        engine.dispose()


def test_0003_upgrades_a_database_made_by_0002(database_url: str):
    """Credentials of the previous release stay, with untyped figures; the registry's
    tables are there, empty, and take a framework."""
    engine = make_engine(database_url)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0002")
        now = datetime(2026, 3, 1, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO issuers (id, slug, did, name, directory, next_status_index, "
                "created_at) VALUES (1, 'u', 'did:key:z6Mk', 'U', '/tmp/u', 1, :now)"),
                {"now": now})
            connection.execute(text(
                "INSERT INTO credentials (id, issuer_id, learner_key, status_index, state, "
                "status, claims_root, document, achievement_type, achievement_name, credits, "
                "issued_at) VALUES ('urn:uuid:1', 1, 'k', 0, 'anchored', 'active', '0x00', "
                "'{}', 'Course', 'C', 4, :now)"), {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
        assert current_revision(engine) == "0003"
        tables = set(inspect(engine).get_table_names())
        assert {"credit_frameworks", "credit_standards", "credit_rule_sets",
                "registry_publications"} <= tables
        with engine.begin() as connection:
            rows = connection.execute(text(
                "SELECT id, credits, credit_unit, credit_sector FROM credentials")).all()
            assert [tuple(r) for r in rows] == [("urn:uuid:1", 4, None, None)]
            connection.execute(text(
                "INSERT INTO credit_frameworks (framework_id, version, document, hash, state, "
                "created_at, updated_at) VALUES ('f', '1', '{}', '0x00', 'draft', :now, :now)"),
                {"now": now})
        upgrade(engine)  # and on to the newest
    finally:
        engine.dispose()


def test_0004_upgrades_a_database_made_by_0003(database_url: str):
    """Rule sets and credentials stay; an application can name them, and a source counts
    once per destination (the unique key holds)."""
    engine = make_engine(database_url)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0003")
        now = datetime(2026, 3, 1, tzinfo=UTC)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO issuers (id, slug, did, name, directory, next_status_index, "
                "created_at) VALUES (1, 'u', 'did:key:z6Mk', 'U', '/tmp/u', 1, :now)"),
                {"now": now})
            connection.execute(text(
                "INSERT INTO learners (id, learner_key, login, display_name, created_at) "
                "VALUES (1, 'k', 'zhangwei', '张伟', :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO credentials (id, issuer_id, learner_key, status_index, state, "
                "status, claims_root, document, achievement_type, achievement_name, credits, "
                "issued_at) VALUES ('urn:uuid:1', 1, 'k', 0, 'anchored', 'active', '0x00', "
                "'{}', 'Course', 'C', 4, :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO credit_rule_sets (id, set_id, version, document, hash, state, "
                "created_at, updated_at) VALUES (1, 'r', '1', '{}', '0x00', 'published', "
                ":now, :now)"), {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")
        assert current_revision(engine) == "0004"
        use = ("INSERT INTO recognition_uses (credential_id, destination_key, application_id, "
               "decision_credential_id) VALUES ('urn:uuid:1', :key, 'a', 'urn:uuid:1')")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO recognition_applications (id, learner_id, rule_set_id, "
                "destination, decider_issuer_id, authority_decides, state, note, dry_run, "
                "submitted_at) VALUES ('a', 1, 1, 'bank', 1, :yes, 'approved', '', '{}', "
                ":now)"), {"now": now, "yes": True})
            connection.execute(text(
                "INSERT INTO recognition_sources (application_id, credential_id, position) "
                "VALUES ('a', 'urn:uuid:1', 0)"))
            connection.execute(text(use), {"key": "b" * 64})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(use), {"key": "b" * 64})
        upgrade(engine)  # and on to the newest
    finally:
        engine.dispose()


def test_0005_upgrades_a_database_made_by_0004_and_back(database_url: str):
    """Issuers of the previous release keep their rows, with no accreditation scope; the
    deposits table is there; downgrading to 0004 removes both again."""
    engine = make_engine(database_url)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0004")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO issuers (id, slug, did, name, directory, next_status_index, "
                "created_at) VALUES (1, 'u', 'did:key:z6Mk', 'U', '/tmp/u', 1, :now)"),
                {"now": datetime(2026, 3, 1, tzinfo=UTC)})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        assert "deposits" in inspect(engine).get_table_names()
        with engine.begin() as connection:
            rows = connection.execute(text(
                "SELECT slug, scope_sectors, scope_max_level_rank FROM issuers")).all()
            assert [tuple(r) for r in rows] == [("u", None, None)]
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert "deposits" not in inspect(engine).get_table_names()
        assert "scope_sectors" not in {c["name"] for c in inspect(engine).get_columns("issuers")}
        upgrade(engine)
    finally:
        engine.dispose()


def test_0006_upgrades_a_database_made_by_0005_and_back(database_url: str):
    """API keys of the previous release keep their rows, bound to no venue or employer; the
    check-in tables are there with one check-in per learner per activity; downgrading to
    0005 removes them again."""
    engine = make_engine(database_url)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0005")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO api_keys (id, key_id, secret_hash, role, label, created_at) "
                "VALUES (1, 'k1', :h, 'governor', '', :now)"), {"h": "a" * 64, "now": now})
            connection.execute(text(
                "INSERT INTO learners (id, learner_key, login, display_name, created_at) "
                "VALUES (1, :k, 'zhangwei', '张伟', :now)"), {"k": "b" * 64, "now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0006")
        tables = set(inspect(engine).get_table_names())
        assert {"venues", "activities", "learner_cards", "used_codes", "checkins"} <= tables
        with engine.begin() as connection:
            rows = connection.execute(text(
                "SELECT key_id, venue_id, employer_id FROM api_keys")).all()
            assert [tuple(r) for r in rows] == [("k1", None, None)]
            connection.execute(text(
                "INSERT INTO venues (id, slug, name, kind, district, address, created_at) "
                "VALUES (1, 'v', 'V', 'library', '', '', :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO activities (id, venue_id, kind, title, sector, hours, starts_at, "
                "ends_at, needs_checkout, created_at) VALUES ('a1', 1, 'session', 'T', "
                "'venue', 1.5, :now, :now, false, :now)"), {"now": now})
        checkin = ("INSERT INTO checkins (id, activity_id, venue_id, learner_id, method, day, "
                   "checked_in_at, recorded_at) VALUES (:id, 'a1', 1, 1, 'learner_scan', "
                   "'2026-03-01', :now, :now)")
        with engine.begin() as connection:
            connection.execute(text(checkin), {"id": "c1", "now": now})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(checkin), {"id": "c2", "now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        assert "checkins" not in inspect(engine).get_table_names()
        assert "venue_id" not in {c["name"] for c in inspect(engine).get_columns("api_keys")}
        upgrade(engine)
    finally:
        engine.dispose()


def test_0008_upgrades_a_database_made_by_0006_and_back(database_url: str):
    """Check-ins of the previous release stay, none of them anchored; a venue-day holds
    one tree per part; downgrading to 0006 removes the attendance tables again."""
    now = datetime(2026, 12, 5, 9, tzinfo=UTC)
    engine = make_engine(database_url)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0006")
        with engine.begin() as connection:
            for statement in (
                    "INSERT INTO learners (id, learner_key, login, display_name, created_at) "
                    "VALUES (1, 'k', 'l', 'L', :now)",
                    "INSERT INTO venues (id, slug, name, kind, district, address, created_at) "
                    "VALUES (1, 'lib', 'Library', 'library', '', '', :now)",
                    "INSERT INTO activities (id, venue_id, kind, title, sector, hours, "
                    "starts_at, ends_at, needs_checkout, created_at) VALUES "
                    "('a1', 1, 'session', 'T', 'venue', 1.5, :now, :now, false, :now)",
                    "INSERT INTO checkins (id, activity_id, venue_id, learner_id, method, day, "
                    "checked_in_at, recorded_at) VALUES "
                    "('c1', 'a1', 1, 1, 'learner_scan', '2026-12-05', :now, :now)"):
                connection.execute(text(statement), {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0008")
        with engine.begin() as connection:
            assert connection.execute(text("SELECT id FROM checkins")).scalars().all() == ["c1"]
            assert connection.execute(text(
                "SELECT count(*) FROM attendance_entries")).scalar_one() == 0
            connection.execute(text(
                "INSERT INTO venue_registers (id, document_hash, document, created_at) "
                "VALUES (1, '0xr', '{}', :now)"), {"now": now})
        day = ("INSERT INTO attendance_days (venue_id, day, part, count, root, register_id, "
               "manifest, manifest_hash, state, closed_at) VALUES (1, '2026-12-05', 1, 1, "
               "'0x', 1, '{}', :hash, 'pending', :now)")
        with engine.begin() as connection:
            connection.execute(text(day), {"now": now, "hash": "0x1"})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(day), {"now": now, "hash": "0x2"})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        tables = inspect(engine).get_table_names()
        assert "checkins" in tables
        assert not {"venue_registers", "attendance_days", "attendance_entries"} & set(tables)
        upgrade(engine)
    finally:
        engine.dispose()


def test_0007_upgrades_a_database_made_by_0006_and_back(database_url: str):
    """Check-ins of the previous release stay; the points tables arrive with the triggers
    that keep the ledger append-only; downgrading to 0006 removes them again."""
    engine = make_engine(database_url)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0006")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO venues (id, slug, name, kind, district, address, created_at) "
                "VALUES (1, 'lib', 'Library', 'library', '', '', :now)"), {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0007")
        tables = set(inspect(engine).get_table_names())
        assert {"points_rules", "points_entries", "points_thresholds",
                "points_awards"} <= tables
        with engine.begin() as connection:
            assert connection.execute(text("SELECT slug FROM venues")).scalars().all() == ["lib"]
            connection.execute(text(
                "INSERT INTO points_entries (learner_key, source_key, kind, rules_id, "
                "rules_version, rules_hash, sector, unit, quantity_micro, points_micro, day, "
                "at) VALUES ('k', 'checkin:x', 'checkin', 'r', '1', '0x00', 'venue', 'hour', "
                "1000000, 2000000, '2026-03-01', :now)"), {"now": now})
        with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
            connection.execute(text("UPDATE points_entries SET points_micro = 0"))
        with pytest.raises(IntegrityError), engine.begin() as connection:  # credited once
            connection.execute(text(
                "INSERT INTO points_entries (learner_key, source_key, kind, rules_id, "
                "rules_version, rules_hash, sector, unit, quantity_micro, points_micro, day, "
                "at) VALUES ('k', 'checkin:x', 'checkin', 'r', '1', '0x00', 'venue', 'hour', "
                "1, 1, '2026-03-01', :now)"), {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert "points_entries" not in inspect(engine).get_table_names()
        upgrade(engine)
        with engine.begin() as connection:  # the triggers came back with the table
            connection.execute(text(
                "INSERT INTO points_entries (learner_key, source_key, kind, rules_id, "
                "rules_version, rules_hash, sector, unit, quantity_micro, points_micro, day, "
                "at) VALUES ('k', 'checkin:y', 'checkin', 'r', '1', '0x00', 'venue', 'hour', "
                "1, 1, '2026-03-01', :now)"), {"now": now})
        with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
            connection.execute(text("DELETE FROM points_entries"))
    finally:
        engine.dispose()


def test_0009_upgrades_a_database_made_by_0006_and_back(database_url: str):
    """Employers of the previous release keep their rows; the requests and presentations
    tables come, and go again on downgrading to 0006."""
    engine = make_engine(database_url)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0006")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO employers (id, slug, name, created_at) "
                "VALUES (1, 'acme', 'Acme', :now)"), {"now": datetime(2026, 12, 1, tzinfo=UTC)})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0009")
        assert {"presentation_requests", "presentations"} <= set(
            inspect(engine).get_table_names())
        with engine.begin() as connection:
            assert connection.execute(text("SELECT slug FROM employers")).scalars().all() == [
                "acme"]
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert "presentations" not in inspect(engine).get_table_names()
        upgrade(engine)
    finally:
        engine.dispose()


def test_0010_upgrades_a_database_made_by_0009_and_back(database_url: str):
    """The employers and requests of the previous release keep their rows; the bulk_checks
    table comes, takes a report, and goes again on downgrading to 0009."""
    engine = make_engine(database_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            command.upgrade(config, "0009")
        assert "bulk_checks" not in inspect(engine).get_table_names()
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO employers (id, slug, name, created_at) "
                "VALUES (1, 'acme', 'Acme', :now)"), {"now": now})
            connection.execute(text(
                "INSERT INTO presentation_requests (id, employer_id, title, requirements, "
                "ask_name, accept, challenge, domain, created_at, expires_at) VALUES "
                "('r1', 1, 'fitter', '[]', false, '[]', 'c', 'd', :now, :now)"), {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0010")
        assert "bulk_checks" in inspect(engine).get_table_names()
        with engine.begin() as connection:
            assert connection.execute(text("SELECT slug FROM employers")).scalars().all() == [
                "acme"]
            assert connection.execute(text(
                "SELECT title FROM presentation_requests")).scalars().all() == ["fitter"]
            connection.execute(text(
                "INSERT INTO bulk_checks (id, employer_id, state, total, done, created_at, "
                "rows) VALUES ('b1', 1, 'done', 0, 0, :now, '[]')"), {"now": now})
        with engine.begin() as connection, pytest.raises(IntegrityError):
            connection.execute(text(  # a report belongs to an employer that exists
                "INSERT INTO bulk_checks (id, employer_id, state, total, done, created_at, "
                "rows) VALUES ('b2', 99, 'done', 0, 0, :now, '[]')"), {"now": now})
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0009")
        assert "bulk_checks" not in inspect(engine).get_table_names()
        with engine.begin() as connection:
            assert connection.execute(text("SELECT slug FROM employers")).scalars().all() == [
                "acme"]
        upgrade(engine)
    finally:
        engine.dispose()
