"""credbank-verify: the verdict failing closed, exit codes, --json output, unreadable input,
the summary line, stored pins."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.credentials import issue, make_issuer, trust_doc
from verifier.checks import CHECK_IDS
from verifier.cli import main, summary


@pytest.fixture()
def files(tmp_path: Path):
    issuer = make_issuer(tmp_path / "issuer")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(issue(issuer), ensure_ascii=False))
    tampered_credential = issue(issuer, index=1)
    tampered_credential["credentialSubject"]["creditsEarned"] = 40
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(tampered_credential))
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(trust_doc(issuer)))
    return good, tampered, trust


def run(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_verified_file_exits_0_with_json_object(files, capsys) -> None:
    good, _, trust = files
    code, out, _ = run([good, "--trust", trust, "--json", "--no-status"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["file"] == str(good) and report["verified"] is True
    assert (report["reason"], report["notChecked"]) == ("verified", ["status"])
    assert list(report) == ["file", "verified", "reason", "notChecked", "checks"]
    assert {c["id"]: c["status"] for c in report["checks"]}["issuer_trusted"] == "passed"
    assert set(report["checks"][0]) == {"id", "status", "detail"}


def test_a_check_that_could_not_run_fails_closed(files, capsys) -> None:
    good, _, trust = files
    code, out, _ = run([good, "--trust", trust, "--json"], capsys)
    assert code == 1
    report = json.loads(out)
    assert (report["verified"], report["reason"], report["notChecked"]) == (
        False, "status_unknown", ["status"])
    code, out, _ = run([good], capsys)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("NOT VERIFIED: issuer not checked (no trust source") and \
        "--accept-unknown-issuer" in first and first.endswith(f"  {good}")
    code, out, _ = run([good, "--accept-unknown-issuer"], capsys)
    assert code == 1 and out.startswith("NOT VERIFIED: status could not be checked (no chain "
                                        "evidence")
    assert "--no-status" in out.splitlines()[0]


def test_accepted_gaps_verify_and_are_named(files, capsys) -> None:
    good, _, _ = files
    code, out, _ = run([good, "--accept-unknown-issuer", "--no-status"], capsys)
    assert code == 0
    assert out.startswith("VERIFIED, except that whether the issuer is accredited was not "
                          "checked (no trust source); and the chain record, revocation and "
                          "suspension were not checked (no chain evidence)  ")
    code, out, _ = run([good, "--accept-unknown-issuer", "--no-status", "--json"], capsys)
    report = json.loads(out)
    assert (code, report["verified"], report["notChecked"]) == (0, True, ["issuer", "status"])


def test_any_failure_exits_1_and_names_the_check(files, capsys) -> None:
    good, tampered, trust = files
    code, out, err = run([good, tampered, "--trust", trust, "--json", "--no-status"], capsys)
    assert code == 1
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["verified"] and not second["verified"]
    assert second["reason"] == "altered"
    failed = [c["id"] for c in second["checks"] if c["status"] == "failed"]
    # The claims root and the eddsa-jcs-2022 signature over the document both break.
    assert failed == ["integrity", "issuer_signature"]
    # with --json the summary goes to standard error, leaving one object per line
    assert err.strip() == "1 verified, 1 not verified: 1 content altered"


def test_human_output_leads_with_the_reason_and_lists_every_check(files, capsys) -> None:
    good, tampered, trust = files
    code, out, _ = run([tampered, "--trust", trust], capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("NOT VERIFIED: content altered (claims root does not match")
    assert lines[0].endswith(f"  {tampered}")
    assert [line.split()[1] for line in lines[1:]] == list(CHECK_IDS)
    assert "✗ integrity" in out and "– anchored" in out


def test_a_batch_ends_with_a_summary_line(files, tmp_path, capsys) -> None:
    good, tampered, trust = files
    other = tmp_path / "other.json"
    other.write_text(tampered.read_text())
    code, out, _ = run([good, tampered, other, good, "--trust", trust, "--no-status"], capsys)
    assert code == 1
    assert out.splitlines()[-1] == "2 verified, 2 not verified: 2 content altered"
    code, out, _ = run([good, tampered, "--trust", trust], capsys)
    assert out.splitlines()[-1] == ("0 verified, 2 not verified: 1 content altered, "
                                    "1 status could not be checked")
    # one credential: no summary
    code, out, _ = run([good, "--trust", trust, "--no-status"], capsys)
    assert not out.splitlines()[-1].startswith("1 verified")


@pytest.mark.parametrize("content, reason", [
    ('{"a": 1, "a": 2}', "duplicate JSON member name"),
    ("{not json", "malformed JSON"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_unreadable_input_exits_2_with_one_line(tmp_path, capsys, content, reason) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, out, err = run([path], capsys)
    assert code == 2
    assert reason in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_missing_and_oversize_files_exit_2(tmp_path, capsys) -> None:
    code, _, err = run([tmp_path / "absent.json"], capsys)
    assert code == 2 and "cannot read" in err
    big = tmp_path / "big.json"
    big.write_text(" " * (2 << 20))
    code, _, err = run([big], capsys)
    assert code == 2 and "larger than" in err


def test_bad_trust_file_and_usage_errors_exit_2(files, tmp_path, capsys) -> None:
    good, _, _ = files
    bad_trust = tmp_path / "t.json"
    bad_trust.write_text('{"type": "something else"}')
    code, _, err = run([good, "--trust", bad_trust], capsys)
    assert code == 2 and "not a trust file" in err
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_non_credential_json_is_a_failed_format_check(tmp_path, capsys) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": "world"}')
    code, out, _ = run([path, "--json"], capsys)
    assert code == 1
    assert json.loads(out)["checks"][0] == {
        "id": "format", "status": "failed",
        "detail": "not a W3C VC 2.0 credential (@context must start with the VC 2.0 context)"}


def test_installed_entry_point_runs_offline(files) -> None:
    good, tampered, trust = files
    exe = Path(sys.executable).with_name("credbank-verify")
    done = subprocess.run([exe, "--trust", trust, "--json", "--no-status", good],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([exe, tampered], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "✗ integrity" in done.stdout


def test_copy_of_anothers_credential_with_key_swapped(files, capsys) -> None:
    good, _, trust = files
    credential = json.loads(good.read_text())
    forged = copy.deepcopy(credential)
    forged["proof"][1]["signature"] = forged["proof"][0]["proofValue"]
    path = good.with_name("forged.json")
    path.write_text(json.dumps(forged))
    code, out, _ = run([path, "--trust", trust, "--json"], capsys)
    assert code == 1
    assert [c["id"] for c in json.loads(out)["checks"] if c["status"] == "failed"] == [
        "issuer_signature"]


def test_json_lines_input_reports_each_line(files, tmp_path, capsys) -> None:
    good, tampered, trust = files
    lines = tmp_path / "many.jsonl"
    lines.write_text(good.read_text() + "\n\n" + tampered.read_text() + "\n{broken\n")
    code, out, err = run([lines, "--trust", trust, "--json", "--no-status"], capsys)
    reports = [json.loads(x) for x in out.splitlines()]
    assert [r["file"] for r in reports] == [f"{lines}:1", f"{lines}:3", f"{lines}:4"]
    assert [r["verified"] for r in reports] == [True, False, False]
    assert [r["reason"] for r in reports] == ["verified", "altered", "unreadable"]
    assert reports[2]["checks"][0]["status"] == "error"
    assert err.strip() == ("1 verified, 2 not verified: 1 not a readable credential, "
                           "1 content altered")
    assert code == 2


# ---- trust bundles and pins ----------------------------------------------------------------


@pytest.fixture()
def bundle_files(tmp_path: Path):
    from .test_evidence_bundle import PIN, SyntheticChain

    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(SyntheticChain().bundle()))
    pin = tmp_path / "pin.json"
    pin.write_text(json.dumps({"chainId": PIN.chain_id, "signers": [
        "0x" + s.hex() for s in sorted(PIN.signers)]}))
    return bundle, pin


def test_a_bundle_rejected_by_the_pin_makes_chain_checks_errors(files, bundle_files, tmp_path,
                                                                capsys) -> None:
    good, _, _ = files
    bundle, _ = bundle_files
    other = tmp_path / "other-pin.json"
    other.write_text(json.dumps({"chainId": 1337, "signers": ["0x" + "11" * 20]}))
    code, out, _ = run([good, "--trust", bundle, "--pin", other, "--json"], capsys)
    assert code == 1
    checks = {c["id"]: c for c in json.loads(out)["checks"]}
    for check in ("issuer_trusted", "anchored", "not_revoked", "not_suspended"):
        assert checks[check]["status"] == "error"
        assert "pinned signer set" in checks[check]["detail"]


def test_a_credential_outside_the_bundle_fails_chain_checks(files, bundle_files, capsys) -> None:
    good, _, _ = files
    bundle, pin = bundle_files
    code, out, _ = run([good, "--trust", bundle, "--pin", pin, "--json"], capsys)
    assert code == 1
    statuses = {c["id"]: c["status"] for c in json.loads(out)["checks"]}
    # Not anchored there: the credential's batch root has no word in this registry.
    assert statuses["anchored"] == "failed" and statuses["issuer_trusted"] == "failed"


@pytest.mark.parametrize("args, reason", [
    (["--online", "http://127.0.0.1:9"], "--online needs the registry"),
    (["--pin", "{pin}"], "pin file"),
    (["--trust", "{pin}"], "not a trust file"),
])
def test_bundle_and_pin_usage_errors_exit_2(files, tmp_path, capsys, args, reason) -> None:
    good, _, _ = files
    bad_pin = tmp_path / "bad-pin.json"
    bad_pin.write_text(json.dumps({"chainId": "1", "signers": []}))
    args = [a.replace("{pin}", str(bad_pin)) for a in args]
    code, _, err = run([good, *args], capsys)
    assert code == 2 and reason in err and len(err.strip().splitlines()) == 1


# ---- a stored pin --------------------------------------------------------------------------


@pytest.fixture()
def anchored(tmp_path: Path):
    """A credential anchored on the synthetic chain, and a bundle of that chain."""
    from verifier import registry_layout as layout

    from .test_evidence_bundle import SyntheticChain
    from .test_evidence_checks import Registry, credential_for

    issuer = make_issuer(tmp_path / "sou")
    credential = credential_for(issuer, 3)
    registry = Registry(issuer)
    registry.anchor(credential)
    slots = [*registry.words, layout.revocation_slot(registry.id, 0),
             layout.suspension_slot(registry.id, 0)]
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(SyntheticChain(dict(registry.words)).bundle(slots=slots)))
    path = tmp_path / "anchored.json"
    path.write_text(json.dumps(credential, ensure_ascii=False))
    return path, bundle


def _pin_document() -> dict:
    from .test_evidence_bundle import PIN

    return {"chainId": PIN.chain_id, "signers": ["0x" + s.hex() for s in sorted(PIN.signers)]}


AT = ["--at", "2027-01-01T00:00:00Z"]


def test_without_any_pin_chain_evidence_proves_nothing(anchored, config_dir, capsys) -> None:
    credential, bundle = anchored
    code, out, _ = run([credential, "--trust", bundle, *AT], capsys)
    assert code == 1
    pin_line, verdict_line = out.splitlines()[:2]
    assert pin_line.startswith("pin: none (no --pin, and nothing stored at "
                               f"{config_dir / 'credbank' / 'pin.json'})")
    assert verdict_line.startswith("NOT VERIFIED: issuer not checked (the chain evidence's "
                                   "signer set is not pinned: give --pin")
    code, out, _ = run([credential, "--trust", bundle, "--accept-unknown-issuer",
                        "--no-status", *AT], capsys)
    assert code == 0 and out.splitlines()[1].startswith(
        "VERIFIED, except that whether the issuer is accredited was not checked (the chain "
        "evidence's signer set was not pinned)")


def test_the_stored_pin_is_used_when_no_pin_is_given(anchored, config_dir, tmp_path,
                                                     capsys) -> None:
    credential, bundle = anchored
    stored = config_dir / "credbank" / "pin.json"
    stored.parent.mkdir(parents=True)
    stored.write_text(json.dumps(_pin_document()))
    code, out, _ = run([credential, "--trust", bundle, *AT], capsys)
    assert code == 0, out
    assert out.splitlines()[:2] == [
        f"pin: {stored}, stored by `credbank trust pin` (chain 1337, 3 signer(s))",
        f"VERIFIED  {credential}"]
    code, out, err = run([credential, "--trust", bundle, "--json", *AT], capsys)
    assert code == 0 and json.loads(out)["verified"] is True
    assert err.startswith(f"pin: {stored}")
    # --pin wins over the stored one
    other = tmp_path / "other-pin.json"
    other.write_text(json.dumps({"chainId": 1337, "signers": ["0x" + "11" * 20]}))
    code, out, _ = run([credential, "--trust", bundle, "--pin", other, *AT], capsys)
    assert code == 1 and out.startswith(f"pin: {other} (chain 1337, 1 signer(s))")
    assert "pinned signer set" in out
    # a stored pin that cannot be read is a usage error naming it
    stored.write_text("{broken")
    code, _, err = run([credential, "--trust", bundle, *AT], capsys)
    assert code == 2 and str(stored) in err


def test_a_stored_pin_is_not_read_without_chain_evidence(files, config_dir, capsys) -> None:
    good, _, trust = files
    stored = config_dir / "credbank" / "pin.json"
    stored.parent.mkdir(parents=True)
    stored.write_text("{broken")
    code, out, _ = run([good, "--trust", trust, "--no-status"], capsys)
    assert code == 0 and out.startswith("VERIFIED")


def test_the_summary_counts_reasons_most_first() -> None:
    assert summary(["verified", "revoked", "altered", "altered", "not_accredited"]) == (
        "1 verified, 4 not verified: 2 content altered, 1 issuer not accredited, 1 revoked")
    assert summary(["verified", "verified"]) == "2 verified, 0 not verified"


def test_a_reader_that_stops_early_gets_no_traceback(files) -> None:
    """`credbank-verify … | head`: the pipe closes while output is still coming."""
    good, _, _ = files
    exe = str(Path(sys.executable).with_name("credbank-verify"))
    verifying = subprocess.Popen([exe, *[str(good)] * 400], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
    assert verifying.stdout is not None
    verifying.stdout.readline()
    verifying.stdout.close()  # more than a pipe's buffer is still to come
    _, errors = verifying.communicate(timeout=120)
    assert b"Traceback" not in errors and verifying.returncode == 1
