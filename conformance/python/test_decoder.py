"""Unit tests for e2eb_decoder (pytest).  Run: python3 -m pytest -q conformance/python

Set E2EB_SLOW_TESTS=1 to include the pure-Python scrypt backup test (~20 s).
"""

import hashlib
import os
import re
import sys

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import e2eb_decoder as e2eb  # noqa: E402
import e2eb_encoder  # noqa: E402

SPEC = os.path.join(HERE, "..", "..", "SPEC.md")
KEY_TEXT = "6730 a595 a148 4d0c 39c1 01dc 0ac8 2ec5 e401 bb6f 0e1b 8ee2 dc10 4a6b 3687 f017"
KEY = bytes.fromhex(KEY_TEXT.replace(" ", ""))
TINY_ARGON2 = {"m": 64, "t": 1, "p": 1}


# --- §2.1 recovery keys -------------------------------------------------------

def test_recovery_key_display_form_round_trips():
    assert e2eb.parse_recovery_key(KEY_TEXT) == KEY
    assert e2eb.format_recovery_key(KEY) == KEY_TEXT


@pytest.mark.parametrize("text", [
    KEY_TEXT.upper(),
    KEY_TEXT.replace(" ", "-"),
    KEY_TEXT.replace(" ", "\r\n"),
    "\t" + KEY_TEXT.replace(" ", "") + "\n",
    "-" + KEY_TEXT + "-",
    KEY_TEXT.replace(" ", "\u00a0"),                                    # no-break space (SPEC 2.1)
    KEY_TEXT.replace(" ", "\u3000"),                                    # ideographic space
])
def test_recovery_key_formatting_is_ignored(text):
    assert e2eb.parse_recovery_key(text) == KEY


@pytest.mark.parametrize("text, kind, detail", [
    ("", "WrongLength", 0),
    (KEY_TEXT[:-1], "WrongLength", 63),
    (KEY_TEXT + "0", "WrongLength", 65),
    ("g" + KEY_TEXT[1:], "InvalidCharacter", 1),
    (KEY_TEXT.replace("0ac8", "0ac\uff18"), "InvalidCharacter", 7),  # fullwidth 8
    (KEY_TEXT + ".", "InvalidCharacter", 17),                        # see README, Ambiguities
    ("0x" + KEY_TEXT, "InvalidCharacter", 1),                        # before the length check
    (KEY_TEXT.replace(" ", "\u200b"), "InvalidCharacter", 2),        # zero-width space is not White_Space
])
def test_recovery_key_errors(text, kind, detail):
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.parse_recovery_key(text)
    assert info.value.error_class == "MalformedRecoveryKey"
    assert (info.value.kind, info.value.detail) == (kind, detail)


def test_recovery_key_file_comments():
    text = "# e2eb recovery key\n\n" + KEY_TEXT[:39] + "\n" + KEY_TEXT[40:] + "\n# end\n"
    assert e2eb.parse_recovery_key_file(text) == KEY


# --- §2.2 passwords -----------------------------------------------------------

def test_password_nfc():
    assert e2eb.normalize_password("e\u0301t\u00e9") == "\u00e9t\u00e9".encode()
    assert e2eb.normalize_password(" pw\n") == b" pw\n"  # no trimming
    with pytest.raises(e2eb.E2ebError):
        e2eb.normalize_password("")


# --- §1 HKDF ------------------------------------------------------------------

def test_hkdf_expand_accepts_a_32_byte_prk():
    prk = bytes(range(32))
    for length in (1, 32, 64, 65, 76, 200):
        expected = HKDFExpand(hashes.SHA512(), length, b"e2eb test").derive(prk)
        assert e2eb.hkdf_expand(prk, b"e2eb test", length) == expected


# --- §14 worked example -------------------------------------------------------

def _worked_example():
    text = open(SPEC, encoding="utf-8").read()
    block = text.split("<!-- worked-example:begin -->")[1].split("<!-- worked-example:end -->")[0]
    values = {}
    for line in block.splitlines():
        match = re.match(r"^(\S.*?)\s{2,}(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    hex_lines = block.split("backup (343 bytes):")[1].splitlines()
    backup = bytes.fromhex("".join(l.strip() for l in hex_lines if re.fullmatch(r"\s+[0-9a-f]+", l)))
    return values, backup


def test_worked_example_with_both_secrets():
    values, backup = _worked_example()
    assert len(backup) == 343
    plaintext = b"Hello from e2eb!\n"

    by_key = e2eb.open_backup(backup, {"recoveryKey": values["recovery key"]})
    by_password = e2eb.open_backup(backup, {"password": "correct horse battery staple"})
    for opened, slot in ((by_key, 0), (by_password, 1)):
        assert opened.plaintext == plaintext
        assert opened.slot_index == slot
        trace = opened.slot_traces[-1]
        assert trace.kek.hex() == values[f"slot {slot} KEK"]
        assert trace.wrap_key.hex() == values[f"slot {slot} wrap key"]
        assert trace.wrap_nonce.hex() == values[f"slot {slot} wrap nonce"]
        assert trace.key_check.hex() == values[f"slot {slot} key check"]
        assert opened.file_key.hex() == values["file key"]
        assert opened.aead_key.hex() == values["payload key"]
        assert opened.base_nonce.hex() == values["payload base nonce"]
        assert opened.commitment.hex() == values["payload commitment"]
        assert len(opened.header.raw) == 254 and opened.chunks_offset == 310


def test_worked_example_wrong_secrets():
    _, backup = _worked_example()
    for secret in ({"recoveryKey": KEY_TEXT}, {"password": "Correct horse battery staple"}):
        with pytest.raises(e2eb.E2ebError) as info:
            e2eb.decrypt(backup, secret)
        assert info.value.error_class == "NoSlotOpened"


# --- §5 header parsing order --------------------------------------------------

def _class_of(data, secret=None):
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.decrypt(data, secret or {"recoveryKey": KEY_TEXT})
    return info.value.error_class


def test_header_checks():
    assert _class_of(b"") == "Truncated"
    assert _class_of(e2eb.MAGIC[:5]) == "Truncated"
    assert _class_of(b"\x89PNG") == "NotABackup"
    assert _class_of(e2eb.MAGIC + b"\x02") == "Truncated"          # literal reading of rule 1
    assert _class_of(e2eb.MAGIC + b"\x02\x01\x01") == "UnsupportedVersion"
    assert _class_of(e2eb.MAGIC + b"\x02\x09\x00") == "UnsupportedVersion"  # before suite, count
    assert _class_of(e2eb.MAGIC + b"\x01\x09\x00") == "UnsupportedSuite"
    assert _class_of(e2eb.MAGIC + b"\x01\x01\x00") == "MalformedHeader"
    assert _class_of(e2eb.MAGIC + b"\x01\x01\x01\x01\x10") == "Truncated"
    assert _class_of(e2eb.MAGIC + b"\x01\x01\x01\x01\x10\x01") == "MalformedSlot"  # 4097
    assert _class_of(e2eb.MAGIC + b"\x01\x01\x01\x01\x00\x70" + bytes(100)) == "Truncated"
    assert _class_of(e2eb.MAGIC + b"\x01\x01\x01\x01\x00\x4f" + bytes(79)) == "MalformedSlot"


# --- §9 opening order, with backups built from fixed inputs -------------------

def _inputs(slots, suite="aes-256-gcm"):
    return {"suite": suite, "fileKey": "a0" * 32, "payloadSalt": "60" * 24, "slots": slots}


def _rk_slot(key=KEY, salt="20"):
    return {"type": "recovery-key", "secret": key.hex(), "salt": salt * 32}


def _pw_slot(kind, password, kdf, salt="40"):
    return {"type": kind, "secret": password, "kdf": kdf, "salt": salt * 32}


def test_slot_corrupt_does_not_stop_the_search():
    # Two recovery-key slots for the same key; the first one's wrapped key is damaged.
    backup = bytearray(e2eb_encoder.encrypt_with_inputs(b"hi", _inputs([_rk_slot(), _rk_slot(salt="21")])))
    first = e2eb.parse_header(bytes(backup)).slots[0]
    backup[11 + len(first.raw) - 1] ^= 1  # last byte of slot 0's tag
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.decrypt(bytes(backup), {"recoveryKey": KEY_TEXT})
    # The commitment covers the damaged byte: the second slot opens, then step 6 fails.
    assert info.value.error_class == "HeaderAltered"


def test_error_priority_slot_corrupt_over_caps_over_no_slot():
    big = {"m": 2**22 + 1, "t": 1, "p": 1}
    slots = [_pw_slot("argon2id", "pw", big), _pw_slot("argon2id", "pw", TINY_ARGON2, salt="41")]
    caps = e2eb.Caps(max_memory_bytes=2**32)
    # Build with a reachable memory size, then raise m in the header of slot 0.
    slots_built = [_pw_slot("argon2id", "pw", TINY_ARGON2), slots[1]]
    backup = bytearray(e2eb_encoder.encrypt_with_inputs(b"hi", _inputs(slots_built)))
    backup[14:18] = (2**22 + 1).to_bytes(4, "big")
    # Wrong password: slot 0 over the cap, slot 1 tried and not opened -> KdfOverCap.
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.decrypt(bytes(backup), {"password": "wrong"}, caps)
    assert info.value.error_class == "KdfOverCap"
    # Right password: slot 1 opens; the commitment then catches the raised m.
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.decrypt(bytes(backup), {"password": "pw"}, caps)
    assert info.value.error_class == "HeaderAltered"
    # Damage slot 1's wrapped key with slot 0 still over the cap -> SlotCorrupt.
    backup[11 + 3 + 125 + 3 + 125 - 1] ^= 1
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.decrypt(bytes(backup), {"password": "pw"}, caps)
    assert info.value.error_class == "SlotCorrupt"


def test_caps_are_checked_before_any_kdf(monkeypatch):
    hostile = e2eb.MAGIC + b"\x01\x01\x01" + b"\x02\x00\x7d" + (2**32 - 1).to_bytes(4, "big") \
        + (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"\x20" + bytes(32 + 80) + bytes(56 + 16)

    def no_kdf(*args):
        raise AssertionError("KDF run for a slot over the caps")

    monkeypatch.setattr(e2eb, "derive_kek", no_kdf)
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.decrypt(hostile, {"password": "pw"}, e2eb.Caps(max_memory_bytes=2**32))
    assert info.value.error_class == "KdfOverCap"


def test_chunk_boundaries_and_truncation():
    for length in (0, 1, 16383, 16384, 16385, 32768):
        message = hashlib.shake_256(b"m").digest(length)
        backup = e2eb_encoder.encrypt_with_inputs(message, _inputs([_rk_slot()], "chacha20-poly1305"))
        assert e2eb.decrypt(backup, {"recoveryKey": KEY_TEXT}) == message
        assert e2eb.authenticate_length(backup, {"recoveryKey": KEY_TEXT}) == length
        for cut in range(1, 16):
            if len(backup) - cut >= 126 + 56:
                short = backup[:-cut]
                tail = (len(short) - 126 - 56) % 16400
                expected = "Truncated" if tail < 16 else "ChunkCorrupt"
                assert _class_of(short) == expected


# --- §6.2 scrypt without the N < 2^(16 r) restriction ----------------------------

def test_pure_scrypt_matches_rfc_7914_and_openssl():
    assert e2eb._scrypt_pure(b"", b"", 16, 1, 1, 64).hex() == (
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede2144"
        "2fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    assert e2eb._scrypt_pure(b"pw", b"s" * 16, 1024, 1, 2, 32) == \
        hashlib.scrypt(b"pw", salt=b"s" * 16, n=1024, r=1, p=2, dklen=32)


@pytest.mark.skipif(not os.environ.get("E2EB_SLOW_TESTS"), reason="set E2EB_SLOW_TESTS=1")
def test_scrypt_r1_logn16_backup_opens():
    slot = _pw_slot("scrypt", "pw", {"logN": 16, "r": 1, "p": 1})
    backup = e2eb_encoder.encrypt_with_inputs(b"hi", _inputs([slot]))
    assert e2eb.decrypt(backup, {"password": "pw"}) == b"hi"


def test_key_file_ignores_a_byte_order_mark_and_indented_comments():
    key = bytes(range(32))
    shown = e2eb.format_recovery_key(key)
    text = "\ufeff  # saved by an editor\r\n" + shown + "\r\n"
    assert e2eb.parse_recovery_key_file(text) == key


def test_a_bad_character_after_extra_digits_is_in_group_17():
    shown = e2eb.format_recovery_key(bytes(32))
    with pytest.raises(e2eb.E2ebError) as error:
        e2eb.parse_recovery_key(shown + " 0123 4567.")
    assert error.value.detail == 17


def test_password_file_is_its_first_line_and_refuses_a_byte_order_mark():
    same = e2eb.Password.from_str("a")
    for contents in [b"a", b"a\n", b"a\r\n", b"a\r", b"a\nb\n"]:
        assert e2eb.read_password_file(contents) == same, contents
    for contents in [b"\xef\xbb\xbfa\n", b"\xff\n", b"\n", b""]:
        with pytest.raises(ValueError):
            e2eb.read_password_file(contents)


# --- §6.4 vault slots ---------------------------------------------------------

VAULT_SECRET = bytes(range(100, 132))


def _vault_slot(account=bytes(range(32)), url="https://vault.example/v1", salt="60"):
    return {"type": "vault", "secret": VAULT_SECRET.hex(), "salt": salt * 32,
            "vaultId": e2eb.vault_id(b"server public key").hex(), "account": account.hex(),
            "url": url}


def test_vault_id_is_sha256_of_label_zero_and_key():
    assert e2eb.vault_id(b"abc") == hashlib.sha256(b"e2eb vault id v1\x00abc").digest()


def test_vault_slot_beside_a_recovery_key_opens_with_either():
    backup = e2eb_encoder.encrypt_with_inputs(b"hi", _inputs([_vault_slot(), _rk_slot()]))
    header = e2eb.parse_header(backup)
    vault = header.slots[0]
    assert (vault.kind, vault.account, vault.url) == ("vault", bytes(range(32)), "https://vault.example/v1")
    assert len(vault.raw) == 3 + 147 + 32 + len(vault.url)
    assert e2eb.decrypt(backup, e2eb.VaultSecret(VAULT_SECRET)) == b"hi"
    assert e2eb.decrypt(backup, {"vaultSecret": VAULT_SECRET.hex()}) == b"hi"
    assert e2eb.decrypt(backup, e2eb.RecoveryKey(KEY)) == b"hi"
    assert _class_of(backup, e2eb.VaultSecret(bytes(32))) == "NoSlotOpened"


@pytest.mark.parametrize("account, url, what", [
    (bytes(15), "u", "account length 15"),
    (bytes(65), "u", "account length 65"),
])
def test_vault_slot_lengths_out_of_range_are_malformed(account, url, what):
    backup = bytearray(e2eb_encoder.encrypt_with_inputs(b"hi", _inputs([_vault_slot(account, url)])))
    with pytest.raises(e2eb.E2ebError) as info:
        e2eb.parse_header(bytes(backup))
    assert info.value.error_class == "MalformedSlot" and what in str(info.value)


def test_vault_slot_url_not_utf8_and_wrong_body_len_are_malformed():
    backup = bytearray(e2eb_encoder.encrypt_with_inputs(b"hi", _inputs([_vault_slot(url="abc")])))
    url_at = 11 + 3 + 32 + 32 + 1 + 32 + 2
    bad_url = bytearray(backup)
    bad_url[url_at + 1] = 0xFF
    assert _class_of(bytes(bad_url), e2eb.VaultSecret(VAULT_SECRET)) == "MalformedSlot"
    for delta in (1, -1):
        altered = bytearray(backup)
        altered[12:14] = (int.from_bytes(backup[12:14], "big") + delta).to_bytes(2, "big")
        assert _class_of(bytes(altered), e2eb.VaultSecret(VAULT_SECRET)) == "MalformedSlot"
