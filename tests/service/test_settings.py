"""Settings come from the constructor, then the environment, then DATA_DIR/credbank.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.service.settings import Settings


def test_the_data_directory_config_file_is_read(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CREDBANK_CONFIG", raising=False)
    monkeypatch.delenv("CREDBANK_PORT", raising=False)
    (tmp_path / "credbank.toml").write_text('port = 9123\nbatch_size = 50\n')
    settings = Settings(data_dir=tmp_path)
    assert (settings.port, settings.batch_size) == (9123, 50)
    monkeypatch.setenv("CREDBANK_PORT", "9200")  # the environment wins over the file
    assert Settings(data_dir=tmp_path).port == 9200


def test_a_config_file_named_by_the_environment(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    named = tmp_path / "elsewhere.toml"
    named.write_text('public_url = "https://credits.example.cn"\n')
    monkeypatch.setenv("CREDBANK_CONFIG", str(named))
    assert Settings(data_dir=tmp_path).public_url == "https://credits.example.cn"


def test_unknown_or_bad_settings_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CREDBANK_CONFIG", raising=False)
    (tmp_path / "credbank.toml").write_text('bacth_size = 50\n')
    with pytest.raises(ValueError, match="bacth_size"):
        Settings(data_dir=tmp_path)
    (tmp_path / "credbank.toml").write_text('batch_size = 0\n')
    with pytest.raises(ValueError, match="batch_size"):
        Settings(data_dir=tmp_path)


def test_database_url_from_the_environment_and_never_shown_with_its_password(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CREDBANK_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bank:s3cret@127.0.0.1/credbank")
    settings = Settings(data_dir=tmp_path)
    assert settings.db_url.endswith("@127.0.0.1/credbank")
    assert "s3cret" not in str(settings.redacted())
    monkeypatch.delenv("DATABASE_URL")
    assert Settings(data_dir=tmp_path).db_url.startswith("sqlite:///")
