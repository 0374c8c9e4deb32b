#!/usr/bin/env python3
"""Run e2eb_decoder in-process over every vector in ../../vectors/*.json.

Prints one line per failing vector and ends with "N passed, M failed"; exits 1
if any failed.  Besides the result and the exact error class, each backup
vector is checked for what vectors/README.md describes:

  * valid tests: msgLength, msgSha512, msg (when given), and the intermediates
    of the slot that opened and of the payload (header, aeadKey, baseNonce,
    commitment);
  * invalid tests: the plaintext authenticated before the error is the
    PartialPlaintext prefix (msgLength, msgSha512) when flagged, else empty;
  * random access (SPEC.md §9): authenticating the length by opening the final
    chunk succeeds for valid tests (with msgLength) and for invalid tests
    flagged ValidFinalChunk, and fails for every other invalid test;
  * with --reencrypt, valid tests are re-encrypted from their "encryption"
    inputs (SPEC.md §8) and compared with the backup byte for byte.

The vault protocol vectors (vault_protocol_test.json) are checked as far as
no OPAQUE library is needed (e2eb_vault.py): every envelope and vault id test
in full; for login tests, the vault id of the server key, the envelope key of
the export key, the envelope sealed from its nonce, the released secret, and
the vault id a client expects. Their OPAQUE messages and keys are not checked;
the count of those tests is printed.

Usage: e2eb-run-vectors [--skip-slow] [--reencrypt] [--only TCID,...] [-v] [--vectors DIR]
   or: python3 conformance/python/e2eb_run_vectors.py ...
"""

import argparse
import glob
import hashlib
import json
import os
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
# Run from a checkout (python3 conformance/python/e2eb_run_vectors.py), the decoder is beside it;
# installed with pip, it is an installed module.
sys.path.insert(0, HERE)

import e2eb_decoder as e2eb  # noqa: E402
import e2eb_vault  # noqa: E402


def default_vectors_dir():
    """The repository's vectors/: beside this file's checkout, else under the working directory."""
    beside = os.path.normpath(os.path.join(HERE, "..", "..", "vectors"))
    return beside if os.path.isdir(beside) else os.path.join(os.getcwd(), "vectors")


def backup_bytes(test):
    if "ct" in test:
        return bytes.fromhex(test["ct"])
    return zlib.decompress(bytes.fromhex(test["ctZlib"]))


def check_backup(group, test, reencrypt):
    """Return a list of problems (empty if the vector passes)."""
    problems = []
    backup = backup_bytes(test)
    caps = e2eb.Caps.from_json(group["caps"])
    flags = set(test["flags"])

    try:
        opened = e2eb.open_backup(backup, test["secret"], caps)
        error = None
    except e2eb.E2ebError as exc:
        opened = None
        error = exc

    if test["result"] == "valid":
        if error is not None:
            return [f"expected valid, got {error}"]
        plaintext = opened.plaintext
        if len(plaintext) != test["msgLength"]:
            problems.append(f"msgLength {len(plaintext)} != {test['msgLength']}")
        if hashlib.sha512(plaintext).hexdigest() != test["msgSha512"]:
            problems.append("msgSha512 differs")
        if "msg" in test and plaintext.hex() != test["msg"]:
            problems.append("msg differs")
        problems += check_intermediates(opened, test["intermediates"])
    else:
        if error is None:
            return [f"expected {test['error']}, but the backup opened"]
        if error.error_class != test["error"]:
            problems.append(f"expected {test['error']}, got {error}")
        elif "overCap" in test and error.over_cap != test["overCap"]:
            problems.append(f"expected {test['error']} naming {test['overCap']}, got {error.over_cap}")
        if "PartialPlaintext" in flags:
            prefix = error.partial_plaintext
            if (len(prefix) != test["msgLength"]
                    or hashlib.sha512(prefix).hexdigest() != test["msgSha512"]):
                problems.append(f"authenticated prefix of {len(prefix)} bytes is not the "
                                f"PartialPlaintext prefix of {test['msgLength']} bytes")
        elif error.partial_plaintext:
            problems.append(f"{len(error.partial_plaintext)} bytes authenticated before the error, "
                            "but the vector is not flagged PartialPlaintext")

    problems += check_random_access(test, backup, caps, flags)
    if reencrypt and test["result"] == "valid":
        import e2eb_encoder
        again = e2eb_encoder.encrypt_with_inputs(opened.plaintext, test["encryption"])
        if again != backup:
            problems.append("re-encryption from the published inputs differs from the backup")
    return problems


def check_intermediates(opened, expected):
    problems = []
    if opened.header.raw.hex() != expected["header"]:
        problems.append("header bytes differ from intermediates.header")
    for name, mine in (("aeadKey", opened.aead_key), ("baseNonce", opened.base_nonce),
                       ("commitment", opened.commitment)):
        if mine.hex() != expected[name]:
            problems.append(f"intermediates.{name} differs")
    # Every slot tried was derived with this secret; compare the one that opened.
    trace = next(t for t in opened.slot_traces if t.index == opened.slot_index)
    want = expected["slots"][opened.slot_index]
    slot = opened.header.slots[opened.slot_index]
    for name, mine in (("kek", trace.kek), ("wrapKey", trace.wrap_key),
                       ("wrapNonce", trace.wrap_nonce), ("keyCheck", trace.key_check),
                       ("wrappedKey", slot.wrapped_key)):
        if name in want and mine.hex() != want[name]:
            problems.append(f"intermediates.slots[{opened.slot_index}].{name} differs")
    return problems


def check_random_access(test, backup, caps, flags):
    try:
        length = e2eb.authenticate_length(backup, test["secret"], caps)
    except e2eb.E2ebError as exc:
        if test["result"] == "valid" or "ValidFinalChunk" in flags:
            return [f"random access: authenticating the final chunk failed: {exc}"]
        return []
    if test["result"] == "valid":
        if length != test["msgLength"]:
            return [f"random access: length {length} != {test['msgLength']}"]
        return []
    if "ValidFinalChunk" not in flags:
        return ["random access: the final chunk authenticated, but the vector is not flagged ValidFinalChunk"]
    return []


def check_recovery_key(test):
    try:
        key = e2eb.parse_recovery_key(test["text"])
    except e2eb.E2ebError as exc:
        if test["result"] == "valid":
            return [f"expected valid, got {exc}"]
        if (exc.kind, exc.detail) != (test["error"], test["detail"]):
            return [f"expected {test['error']}({test['detail']}), got {exc.kind}({exc.detail})"]
        return []
    if test["result"] != "valid":
        return [f"expected {test['error']}({test['detail']}), got the key {key.hex()}"]
    if key.hex() != test["key"]:
        return [f"key {key.hex()} != {test['key']}"]
    return []


def check_secret_input(kind, test):
    result, got = e2eb.read_secret_input(kind, bytes.fromhex(test["input"]))
    if result != test["result"]:
        return [f"expected {test['result']}, got {result} {got}"]
    if result == "valid":
        return [] if got.hex() == test["output"] else [f"output {got.hex()} != {test['output']}"]
    expected = (test["error"], test.get("detail"))
    return [] if got == expected else [f"expected {expected}, got {got}"]


def check_vault_login(doc, test):
    """The derivations of a login test (VAULT.md §2, §3); OPAQUE itself is not checked."""
    problems = []
    transcript = test["transcript"]
    servers = {s["name"]: s for s in doc["servers"]}
    server = servers.get(test["server"])
    if server is None:
        return [f"no server {test['server']}"]
    key = bytes.fromhex(server["serverPublicKey"])
    if e2eb_vault.vault_id(key).hex() != server["vaultId"]:
        problems.append("server vaultId is not the key's")
    if transcript["vaultId"] != server["vaultId"]:
        problems.append("the registration's vaultId is not the server's")
    export_key = bytes.fromhex(transcript["exportKey"])
    account = bytes.fromhex(test["account"])
    if e2eb_vault.envelope_key(export_key).hex() != transcript["envelopeKey"]:
        problems.append("envelopeKey differs")
    sealed = e2eb_vault.seal_envelope(export_key, account, bytes.fromhex(test["vaultSecret"]),
                                      bytes.fromhex(test["inputs"]["vaultEnvelopeNonce"]))
    if sealed.hex() != transcript["vaultEnvelope"]:
        problems.append("sealing the vault secret does not give vaultEnvelope")
    released = transcript.get("releasedVaultSecret")
    if released is not None:
        # The login's export key is the registration's when the login succeeds.
        opened = e2eb_vault.open_envelope(export_key, account, sealed)
        if opened.hex() != released:
            problems.append("the envelope opens to another secret than releasedVaultSecret")
    if test["result"] == "valid" and released != test["vaultSecret"]:
        problems.append("a valid login does not release the vault secret")
    expected = test.get("expectedVaultId")
    if expected is not None:
        refused = expected != transcript["vaultId"]
        if not (refused and test.get("error") == "UnknownVault"):
            problems.append("the expected vault id's verdict differs")
    return problems


def check_vault_envelope(test):
    export_key = bytes.fromhex(test["exportKey"])
    account = bytes.fromhex(test["account"])
    envelope = bytes.fromhex(test["envelope"])
    try:
        secret = e2eb_vault.open_envelope(export_key, account, envelope)
    except e2eb_vault.EnvelopeError:
        if test["result"] == "valid":
            return ["a valid envelope does not open"]
        if test.get("error") != e2eb_vault.EnvelopeError.error_class:
            return [f"expected {test.get('error')}"]
        return []
    if test["result"] != "valid":
        return ["an invalid envelope opened"]
    problems = []
    if secret.hex() != test["vaultSecret"]:
        problems.append("opens to another vault secret")
    if e2eb_vault.envelope_key(export_key).hex() != test["envelopeKey"]:
        problems.append("envelopeKey differs")
    if e2eb_vault.seal_envelope(export_key, account, secret, envelope[:12]) != envelope:
        problems.append("sealing with the envelope's nonce gives another envelope")
    return problems


def check_vault_id(test):
    matches = e2eb_vault.vault_id(bytes.fromhex(test["serverPublicKey"])).hex() == test["vaultId"]
    if matches == (test["result"] == "valid"):
        return [] if matches or test.get("error") == "UnknownVault" else [f"expected {test.get('error')}"]
    return ["the vault id verdict differs"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-slow", action="store_true", help="skip tests flagged SlowKdf")
    parser.add_argument("--reencrypt", action="store_true",
                        help="also re-encrypt valid tests from their published inputs")
    parser.add_argument("--only", help="comma-separated tcIds to run (in every file)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print a line per vector")
    parser.add_argument("--vectors", default=None, metavar="DIR",
                        help="the vectors directory (default: the repository's vectors/)")
    args = parser.parse_args()
    vectors_dir = args.vectors or default_vectors_dir()
    if not os.path.isdir(vectors_dir):
        print(f"no vectors directory {vectors_dir}: give it with --vectors DIR", file=sys.stderr)
        return 2
    only = {int(x) for x in args.only.split(",")} if args.only else None

    passed = failed = opaque_unchecked = 0
    files = sorted(p for p in glob.glob(os.path.join(vectors_dir, "*.json"))
                   if os.path.basename(p) != "schema.json")
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        name = os.path.basename(path)
        for group in doc["testGroups"]:
            for test in group["tests"]:
                if only is not None and test["tcId"] not in only:
                    continue
                if args.skip_slow and "SlowKdf" in test["flags"]:
                    continue
                if group["type"] == "Crypt15Decryption":
                    # WhatsApp's format, not e2eb's: this decoder does not implement it.
                    continue
                if group["type"] == "BackupDecryption":
                    problems = check_backup(group, test, args.reencrypt)
                elif group["type"] == "RecoveryKeyParsing":
                    problems = check_recovery_key(test)
                elif group["type"] in ("RecoveryKeyFile", "PasswordFile", "PasswordNormalization"):
                    problems = check_secret_input(group["type"], test)
                elif group["type"] == "VaultLogin":
                    problems = check_vault_login(doc, test)
                    opaque_unchecked += 1
                elif group["type"] == "VaultEnvelope":
                    problems = check_vault_envelope(test)
                elif group["type"] == "VaultId":
                    problems = check_vault_id(test)
                else:
                    problems = [f"unknown group type {group['type']}"]
                if problems:
                    failed += 1
                    print(f"FAIL {name} tcId {test['tcId']} ({test['comment']}): " + "; ".join(problems))
                else:
                    passed += 1
                    if args.verbose:
                        print(f"ok   {name} tcId {test['tcId']} ({test['comment']})")
    if opaque_unchecked:
        print(f"({opaque_unchecked} vault login tests: their derivations checked, not their OPAQUE messages)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
