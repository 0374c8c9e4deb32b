#!/usr/bin/env python3
"""The conformance protocol of vectors/README.md ("The conformance runner").

Reads one JSON request from standard input and writes one JSON answer to
standard output.  Exits 0 whenever it could answer, invalid backups and
malformed recovery keys included; exits 2 only when the request itself cannot
be read.

    cargo xtask vectors check --cmd e2eb-conformance   # installed with pip
    cargo xtask vectors check --cmd "python3 conformance/python/e2eb_conformance.py"
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import e2eb_decoder as e2eb  # noqa: E402

SECRET_INPUTS = ("RecoveryKeyFile", "PasswordFile", "PasswordNormalization")


def answer(request: dict) -> dict:
    if request["type"] == "RecoveryKeyParsing":
        try:
            key = e2eb.parse_recovery_key(request["text"])
        except e2eb.E2ebError as error:
            return {"result": "invalid", "error": error.kind, "detail": error.detail}
        return {"result": "valid", "key": key.hex()}

    if request["type"] in SECRET_INPUTS:
        result, got = e2eb.read_secret_input(request["type"], bytes.fromhex(request["input"]))
        if result == "valid":
            return {"result": "valid", "output": got.hex()}
        return {"result": "invalid", "error": got[0], "detail": got[1]}

    if request["type"] == "BackupDecryption":
        try:
            plaintext = e2eb.decrypt(bytes.fromhex(request["backup"]), request["secret"],
                                     request.get("caps"))
        except e2eb.E2ebError as error:
            # This decoder authenticates the whole backup before it returns any plaintext, so
            # it releases nothing before a failure.
            answer = {"result": "invalid", "error": error.error_class,
                      "released": {"msgLength": 0, "msgSha512": hashlib.sha512(b"").hexdigest()}}
            if error.over_cap is not None:
                answer["overCap"] = error.over_cap
            return answer
        return {"result": "valid", "msgLength": len(plaintext),
                "msgSha512": hashlib.sha512(plaintext).hexdigest()}

    if request["type"] == "Crypt15Decryption":
        # WhatsApp's format, not e2eb's: this decoder does not read it.
        return {"result": "unsupported"}

    raise ValueError(f"unknown request type {request['type']!r}")


def main() -> int:
    try:
        request = json.load(sys.stdin)
        if not isinstance(request, dict) or "type" not in request:
            raise ValueError("the request is not a JSON object with a type")
        if request["type"] == "BackupDecryption":
            bytes.fromhex(request["backup"])
            if not isinstance(request["secret"], dict):
                raise ValueError("secret is not an object")
        elif request["type"] == "RecoveryKeyParsing":
            if not isinstance(request["text"], str):
                raise ValueError("text is not a string")
        elif request["type"] == "Crypt15Decryption":
            bytes.fromhex(request["backup"])
        elif request["type"] in SECRET_INPUTS:
            bytes.fromhex(request["input"])
        else:
            raise ValueError(f"unknown request type {request['type']!r}")
    except (ValueError, KeyError, TypeError) as error:
        print(f"e2eb-conformance: unreadable request: {error}", file=sys.stderr)
        return 2
    json.dump(answer(request), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
