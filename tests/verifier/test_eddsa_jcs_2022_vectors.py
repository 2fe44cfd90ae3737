"""Reproduce the W3C vc-di-eddsa test vectors for eddsa-jcs-2022, byte for byte."""

import hashlib
import json

import pytest

from tests.vectors import vector_dir
from verifier import canonical, keys
from verifier.proofs import eddsa_jcs_2022

TV = vector_dir("vc-di-eddsa", "TestVectors")
JCS = TV / "eddsa-jcs-2022"


def text(name: str) -> str:
    return (JCS / name).read_text().strip()


@pytest.fixture(scope="module")
def key() -> keys.SigningKey:
    pair = json.loads((TV / "keyPair.json").read_text())
    signing_key = keys.SigningKey.from_multibase(pair["privateKeyMultibase"])
    assert keys.public_key_multibase(signing_key.public_key) == pair["publicKeyMultibase"]
    assert signing_key.to_multibase() == pair["privateKeyMultibase"]
    return signing_key


@pytest.fixture(scope="module")
def unsigned() -> dict:
    return json.loads((TV / "unsigned.json").read_text())


def test_canonical_document_and_hash(unsigned: dict) -> None:
    canon = canonical.dumps(unsigned)
    assert canon.decode() == text("canonDocJCS.txt")
    assert hashlib.sha256(canon).hexdigest() == text("docHashJCS.txt")


def test_proof_config_canonical_form_and_hashes(key: keys.SigningKey, unsigned: dict) -> None:
    expected_config = json.loads((JCS / "proofConfigJCS.json").read_text())
    config = eddsa_jcs_2022.proof_config(
        unsigned, key.verification_method, expected_config["created"]
    )
    assert config == expected_config
    assert canonical.dumps(config).decode() == text("proofCanonJCS.txt")
    assert hashlib.sha256(canonical.dumps(config)).hexdigest() == text("proofHashJCS.txt")
    assert eddsa_jcs_2022.hash_data(config, unsigned).hex() == text("combinedHashJCS.txt")


def test_signature_and_proof_value(key: keys.SigningKey, unsigned: dict) -> None:
    signed = json.loads((JCS / "signedJCS.json").read_text())
    proof = eddsa_jcs_2022.create_proof(unsigned, key, signed["proof"]["created"])
    assert keys.multibase_decode(proof["proofValue"]).hex() == text("sigHexJCS.txt")
    assert proof["proofValue"] == text("sigBTC58JCS.txt")
    assert {**unsigned, "proof": proof} == signed


def test_published_signed_credential_verifies(unsigned: dict) -> None:
    signed = json.loads((JCS / "signedJCS.json").read_text())
    document = {k: v for k, v in signed.items() if k != "proof"}
    assert eddsa_jcs_2022.verify_proof(document, signed["proof"])
    tampered = {**document, "name": "Alumni Credential!"}
    assert not eddsa_jcs_2022.verify_proof(tampered, signed["proof"])


def test_proof_context_must_match_document(unsigned: dict) -> None:
    signed = json.loads((JCS / "signedJCS.json").read_text())
    document = {k: v for k, v in signed.items() if k != "proof"}
    other = {**document, "@context": ["https://www.w3.org/ns/credentials/v2"]}
    assert not eddsa_jcs_2022.verify_proof(other, signed["proof"])
