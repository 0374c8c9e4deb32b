"""Unit tests of e2eb_vault.py (VAULT.md sections 2 and 3) and of its checks over the vectors."""

import hashlib
import json
import os

import pytest

import e2eb_run_vectors
import e2eb_vault

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "vectors",
                       "vault_protocol_test.json")


def test_vault_id_is_the_labelled_hash():
    key = bytes(range(32))
    assert e2eb_vault.vault_id(key) == hashlib.sha256(b"e2eb vault id v1\x00" + key).digest()


def test_envelope_opens_only_with_its_key_and_account():
    sealed = e2eb_vault.seal_envelope(b"k" * 64, b"a" * 16, b"s" * 32, b"n" * 12)
    assert len(sealed) == 60
    assert e2eb_vault.open_envelope(b"k" * 64, b"a" * 16, sealed) == b"s" * 32
    for key, account, envelope in [(b"K" * 64, b"a" * 16, sealed), (b"k" * 64, b"b" * 16, sealed),
                                   (b"k" * 64, b"a" * 16, sealed[:-1]),
                                   (b"k" * 64, b"a" * 16, sealed[:20] + b"x" + sealed[21:])]:
        with pytest.raises(e2eb_vault.EnvelopeError):
            e2eb_vault.open_envelope(key, account, envelope)


def load():
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


def test_every_vault_vector_passes_and_an_altered_one_fails():
    doc = load()
    groups = {g["type"]: g["tests"] for g in doc["testGroups"]}
    assert set(groups) == {"VaultLogin", "VaultEnvelope", "VaultId"}
    for test in groups["VaultLogin"]:
        assert e2eb_run_vectors.check_vault_login(doc, test) == [], test["tcId"]
    for test in groups["VaultEnvelope"]:
        assert e2eb_run_vectors.check_vault_envelope(test) == [], test["tcId"]
    for test in groups["VaultId"]:
        assert e2eb_run_vectors.check_vault_id(test) == [], test["tcId"]
    login = dict(groups["VaultLogin"][0], vaultSecret="00" * 32)
    assert e2eb_run_vectors.check_vault_login(doc, login) != []
    envelope = dict(groups["VaultEnvelope"][0], result="invalid", error="EnvelopeDoesNotOpen")
    assert e2eb_run_vectors.check_vault_envelope(envelope) != []
    vault_id = dict(groups["VaultId"][0], vaultId="00" * 32)
    assert e2eb_run_vectors.check_vault_id(vault_id) != []
