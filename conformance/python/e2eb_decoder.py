"""An independent decoder for the e2eb backup format, version 1.

Written from SPEC.md (and c2sp.org/chunked-encryption for the payload layer)
alone, without reference to the Rust implementation, so that it can validate
the specification and the published test vectors.  Section numbers in the
comments ("§5") refer to SPEC.md.

Public API:

    parse_recovery_key(text) -> bytes                       §2.1
    normalize_password(password) -> bytes                   §2.2
    parse_header(data) -> Header                            §5, §6 (vault slots: §6.4)
    vault_id(server_public_key) -> bytes                    §6.4
    decrypt(backup, secret, caps=None) -> bytes             §9
    open_backup(backup, secret, caps=None) -> Opened        §9, with intermediates
    authenticate_length(backup, secret, caps=None) -> int   §9 "Random access"
    E2ebError                                               §11

`secret` is a RecoveryKey, a Password or a VaultSecret, or the JSON form of the
test vectors: {"recoveryKey": "<text as typed>"}, {"password": "<string>"} or
{"vaultSecret": "<64 hex digits>"}.
`caps` is a Caps, or the JSON form of the test vectors' "caps" object.

Not constant time in every respect (this is a validation tool), but key checks
and commitments are compared with hmac.compare_digest as §13 asks.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import unicodedata
from dataclasses import dataclass, field
from typing import Optional, Union

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

# ---------------------------------------------------------------------------
# §11 Error classes
# ---------------------------------------------------------------------------

ERROR_CLASSES = (
    "NotABackup",
    "Truncated",
    "UnsupportedVersion",
    "UnsupportedSuite",
    "MalformedHeader",
    "MalformedSlot",
    "KdfOverCap",
    "NoSlotOpened",
    "SlotCorrupt",
    "HeaderAltered",
    "ChunkCorrupt",
    "MessageTooLong",
    "MalformedRecoveryKey",
    "InvalidKeyLength",
    # Not in SPEC.md §11, but listed by vectors/schema.json; §2.2 says a password
    # is non-empty without naming the error (see README.md, "Ambiguities found").
    "EmptyPassword",
)


class E2ebError(Exception):
    """A failure, classified by `error_class` (one of ERROR_CLASSES, §11).

    For MalformedRecoveryKey, `kind` is "WrongLength" or "InvalidCharacter" and
    `detail` the digit count or the group (§2.1, vectors/README.md).

    `partial_plaintext` holds the plaintext of the chunks that authenticated
    before a chunk-level error (§9 step 7: a streaming decryptor MAY release
    it); it is empty for every error raised before step 7.
    """

    def __init__(self, error_class: str, message: str, *, kind: Optional[str] = None,
                 detail: Optional[int] = None, partial_plaintext: bytes = b"",
                 over_cap: Optional[dict] = None):
        assert error_class in ERROR_CLASSES, error_class
        super().__init__(f"{error_class}: {message}")
        self.error_class = error_class
        self.kind = kind
        self.detail = detail
        self.partial_plaintext = partial_plaintext
        # For KdfOverCap: {"slot": index, "parameter": name}, as the vectors' overCap (§9, §10).
        self.over_cap = over_cap


# ---------------------------------------------------------------------------
# §1 Notation: HKDF with SHA-512 (RFC 5869), written over HMAC directly so that
# 32-byte PRKs are accepted (§1: HMAC takes a key of any length).
# ---------------------------------------------------------------------------

def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """RFC 5869 HKDF-Extract with SHA-512: PRK = HMAC-SHA-512(salt, IKM)."""
    return hmac.new(salt, ikm, hashlib.sha512).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-Expand with SHA-512, for a PRK of any length (§1)."""
    if length > 255 * 64:
        raise ValueError("HKDF-Expand output too long")
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha512).digest()
        okm += block
        counter += 1
    return okm[:length]


# ---------------------------------------------------------------------------
# §2 Secrets
# ---------------------------------------------------------------------------

# §2.1: "white space (spaces, tabs, line breaks) and `-`" are ignored.  Read as
# ASCII space, tab, LF and CR (see README.md, "Ambiguities found").
# §2.1: '-' and the characters with the Unicode White_Space property.
_RECOVERY_KEY_IGNORED = frozenset(
    "-\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000")
# Explicit ASCII set: str.isdigit()/int() would accept e.g. fullwidth digits.
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def parse_recovery_key(text: str) -> bytes:
    """§2.1: 64 hex digits in either case; white space and '-' ignored anywhere.

    Any other character is InvalidCharacter, naming the group counted over the
    digits before it: min(digits_before // 4 + 1, 17), 17 being anywhere after
    the 64th digit.
    The first offending character is reported, before the length is checked.
    A count other than 64 is WrongLength, naming the count.
    """
    digits = []
    for ch in text:
        if ch in _RECOVERY_KEY_IGNORED:
            continue
        if ch in _HEX_DIGITS:
            digits.append(ch)
            continue
        group = min(len(digits) // 4 + 1, 17)
        raise E2ebError("MalformedRecoveryKey",
                        f"invalid character {ch!r} in group {group}",
                        kind="InvalidCharacter", detail=group)
    if len(digits) != 64:
        raise E2ebError("MalformedRecoveryKey",
                        f"expected 64 hex digits, found {len(digits)}",
                        kind="WrongLength", detail=len(digits))
    return bytes.fromhex("".join(digits))


class SecretInputError(ValueError):
    """A secret file or a new password refused (§2.1, §2.2). `kind` is the
    class the secret-input vectors name: NotUtf8, ByteOrderMark, EmptyPassword
    or UnassignedInPassword; `detail` the code point's position (from 1) for
    UnassignedInPassword."""

    def __init__(self, kind: str, message: str, detail: Optional[int] = None):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.detail = detail


# §2.1: comments are recognised after characters with the White_Space property,
# the set the key parser ignores (not str.strip()'s set, which also takes
# U+001C..U+001F).
_WHITE_SPACE = "".join(sorted(_RECOVERY_KEY_IGNORED - {"-"}))


def parse_recovery_key_file(text: str) -> bytes:
    """§2.1: a recovery-key file, decoded. A leading U+FEFF (byte-order mark) is
    ignored; lines end with LF (less one CR before it, which is white space
    anyway); a line that is blank or whose first character other than White_Space
    is '#' is a comment."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = [line for line in text.split("\n")
             if line.strip(_WHITE_SPACE) != "" and not line.strip(_WHITE_SPACE).startswith("#")]
    return parse_recovery_key("\n".join(lines))


def read_recovery_key_file(contents: bytes) -> bytes:
    """§2.1: a recovery-key file's bytes, which must be UTF-8 throughout."""
    try:
        text = contents.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretInputError("NotUtf8", "the recovery key file is not UTF-8 text") from None
    return parse_recovery_key_file(text)


def password_text_from_file(contents: bytes) -> str:
    """§2.2: the password on a password file's first line: the bytes before the
    first LF (or all of them), less one CR at their end. A file that starts with
    a UTF-8 byte-order mark, a first line that is not UTF-8, and an empty first
    line are refused."""
    if contents.startswith(b"\xef\xbb\xbf"):
        raise SecretInputError("ByteOrderMark",
                               "the password file starts with a byte-order mark (U+FEFF)")
    first_line = contents.split(b"\n", 1)[0]
    if first_line.endswith(b"\r"):
        first_line = first_line[:-1]
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretInputError("NotUtf8", "the password is not UTF-8 text") from None
    if text == "":
        raise SecretInputError("EmptyPassword", "the first line of the password file is empty")
    return text


def read_password_file(contents: bytes) -> "Password":
    """§2.2: the password of a password file (password_text_from_file), ready for a KDF."""
    return Password.from_str(password_text_from_file(contents))


def check_assigned(password: str) -> None:
    """§2.2: a new password slot refuses code points unassigned (general category
    Cn, noncharacters included) in this Python's Unicode version
    (unicodedata.unidata_version). An older version than the reference's refuses
    more; the vectors use code points unassigned in every version."""
    for index, char in enumerate(password):
        if unicodedata.category(char) == "Cn":
            raise SecretInputError("UnassignedInPassword",
                                   f"code point {index + 1} is unassigned in Unicode "
                                   f"{unicodedata.unidata_version}", detail=index + 1)


def read_secret_input(kind: str, data: bytes):
    """What this decoder makes of a secret input (the vectors' RecoveryKeyFile,
    PasswordFile and PasswordNormalization groups): ("valid", output bytes) or
    ("invalid", (error class, detail))."""
    try:
        if kind == "RecoveryKeyFile":
            return "valid", read_recovery_key_file(data)
        if kind == "PasswordFile":
            return "valid", password_text_from_file(data).encode("utf-8")
        if kind == "PasswordNormalization":
            password = data.decode("utf-8")
            if password == "":
                raise SecretInputError("EmptyPassword", "the password is empty")
            check_assigned(password)
            return "valid", Password.from_str(password).nfc_utf8
    except SecretInputError as exc:
        return "invalid", (exc.kind, exc.detail)
    except E2ebError as exc:
        return "invalid", (exc.kind or exc.error_class, exc.detail)
    raise ValueError(f"unknown secret input {kind}")


def format_recovery_key(key: bytes) -> str:
    """§2.1 display form: 16 groups of 4 lower-case hex digits."""
    digits = key.hex()
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def normalize_password(password: str) -> bytes:
    """§2.2: the KDFs receive the NFC normalisation, as UTF-8, no terminator.

    No trimming or case folding.  An empty password is refused (§2.2 says a
    password is non-empty; §11 names no class for it, see README.md).
    """
    if password == "":
        raise E2ebError("EmptyPassword", "a password must not be empty")
    return unicodedata.normalize("NFC", password).encode("utf-8")


@dataclass(frozen=True)
class RecoveryKey:
    key: bytes  # 32 bytes

    @classmethod
    def from_text(cls, text: str) -> "RecoveryKey":
        return cls(parse_recovery_key(text))


@dataclass(frozen=True)
class Password:
    nfc_utf8: bytes  # already normalised (§2.2)

    @classmethod
    def from_str(cls, password: str) -> "Password":
        return cls(normalize_password(password))


@dataclass(frozen=True)
class VaultSecret:
    """§2.3: the 32 bytes a key vault released, used as they are."""
    secret: bytes  # 32 bytes

    def __post_init__(self):
        if len(self.secret) != 32:
            raise ValueError(f"a vault secret is 32 bytes, not {len(self.secret)}")


Secret = Union[RecoveryKey, Password, VaultSecret]


def secret_from_json(obj: dict) -> Secret:
    """The vectors' secret: {"recoveryKey": text}, {"password": string} or
    {"vaultSecret": 64 hex digits}."""
    if "recoveryKey" in obj:
        return RecoveryKey.from_text(obj["recoveryKey"])
    if "password" in obj:
        return Password.from_str(obj["password"])
    if "vaultSecret" in obj:
        return VaultSecret(bytes.fromhex(obj["vaultSecret"]))
    raise ValueError(f"unknown secret {sorted(obj)}")


# ---------------------------------------------------------------------------
# §3 Suites
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Suite:
    id: int
    name: str
    iana_name: str  # `aead` in the payload key derivation (§7)
    aead: type


SUITES = {
    0x01: Suite(0x01, "aes-256-gcm", "AEAD_AES_256_GCM", AESGCM),
    0x02: Suite(0x02, "chacha20-poly1305", "AEAD_CHACHA20_POLY1305", ChaCha20Poly1305),
}
KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16


def aead_open(suite: Suite, key: bytes, nonce: bytes, ciphertext: bytes) -> Optional[bytes]:
    """§1 AEAD with empty associated data; None when authentication fails."""
    try:
        return suite.aead(key).decrypt(nonce, ciphertext, b"")
    except InvalidTag:
        return None


# ---------------------------------------------------------------------------
# §5 Header and §6 key slots: parsing
# ---------------------------------------------------------------------------

MAGIC = bytes([0x89]) + b"e2eb" + bytes([0x0D, 0x0A, 0x1A])
assert MAGIC == bytes.fromhex("89653265620d0a1a")
VERSION = 0x01
FIXED_HEADER_LEN = 11          # magic (8) || version || suite || slot_count
PREFIX_LEN = 10                # §6.1: prefix = magic || version || suite
MAX_SLOTS = 16
MAX_BODY_LEN = 4096
KEY_CHECK_LEN = 32
WRAPPED_KEY_LEN = 48           # 32-byte file key + 16-byte tag
MIN_KNOWN_BODY_LEN = KEY_CHECK_LEN + WRAPPED_KEY_LEN  # 80, §6

SLOT_RECOVERY_KEY = 0x01
SLOT_ARGON2ID = 0x02
SLOT_SCRYPT = 0x03
SLOT_VAULT = 0x04
SLOT_KINDS = {SLOT_RECOVERY_KEY: "recovery-key", SLOT_ARGON2ID: "argon2id", SLOT_SCRYPT: "scrypt",
              SLOT_VAULT: "vault"}


@dataclass
class Slot:
    index: int                 # position in the header, from 0
    type: int
    raw: bytes                 # type || body_len || body
    kind: str = "unknown"
    slot_head: bytes = b""     # §6.1: type || body_len || parameters
    salt: bytes = b""
    key_check: bytes = b""
    wrapped_key: bytes = b""
    # Argon2id: m (KiB), t, p.  scrypt: log_n, r, p.
    params: dict = field(default_factory=dict)
    # Vault (§6.4): the public parameters, readable without a secret.
    vault_id: bytes = b""
    account: bytes = b""
    url: str = ""

    @property
    def known(self) -> bool:
        return self.type in SLOT_KINDS


@dataclass
class Header:
    raw: bytes                 # magic .. end of the last slot: the payload context (§7)
    suite: Suite
    slots: list

    @property
    def prefix(self) -> bytes:  # §6.1
        return self.raw[:PREFIX_LEN]


def _malformed_slot(index: int, why: str) -> E2ebError:
    return E2ebError("MalformedSlot", f"slot {index}: {why}")


def parse_header(data: bytes) -> Header:
    """§5 parsing rules, checked in order, stopping at the first failure."""
    # Rule 1: the magic, "over the first 11 bytes (or fewer, if the input is
    # shorter)".  The magic is 8 bytes: compare what is there of it; then input
    # shorter than 11 bytes is Truncated (read literally: this comes before the
    # version check, see README.md "Ambiguities found").
    seen = data[:len(MAGIC)]
    if seen != MAGIC[:len(seen)]:
        raise E2ebError("NotABackup", "the input does not start with the e2eb magic")
    if len(data) < FIXED_HEADER_LEN:
        raise E2ebError("Truncated", f"input of {len(data)} bytes ends inside the fixed header")

    # Rule 2: the version, before any later field.
    version = data[8]
    if version != VERSION:
        raise E2ebError("UnsupportedVersion", f"version {version}")

    # Rule 3: the suite.
    suite = SUITES.get(data[9])
    if suite is None:
        raise E2ebError("UnsupportedSuite", f"suite id 0x{data[9]:02x}")

    # Rule 4: slot_count in 1..=16.
    slot_count = data[10]
    if not 1 <= slot_count <= MAX_SLOTS:
        raise E2ebError("MalformedHeader", f"slot count {slot_count} outside 1..=16")

    # Rule 5: each slot: body_len <= 4096 before reading the body, then the
    # body's structure for known types.  Input ending inside the header is
    # Truncated (§5 "Input that ends anywhere inside the header").
    pos = FIXED_HEADER_LEN
    slots = []
    for index in range(slot_count):
        if len(data) < pos + 3:
            raise E2ebError("Truncated", f"input ends inside slot {index}'s type and length")
        slot_type = data[pos]
        (body_len,) = struct.unpack(">H", data[pos + 1:pos + 3])
        if body_len > MAX_BODY_LEN:
            raise _malformed_slot(index, f"body length {body_len} over {MAX_BODY_LEN}")
        end = pos + 3 + body_len
        if len(data) < end:
            raise E2ebError("Truncated", f"input ends inside slot {index}'s body")
        slots.append(_parse_slot(index, data[pos:end]))
        pos = end
    return Header(raw=bytes(data[:pos]), suite=suite, slots=slots)


def _parse_slot(index: int, raw: bytes) -> Slot:
    """§6 slot bodies; every violation is MalformedSlot.  Unknown types: §6.3."""
    slot_type = raw[0]
    body = raw[3:]
    slot = Slot(index=index, type=slot_type, raw=raw)
    if slot_type not in SLOT_KINDS:
        return slot  # §6.3: kept as opaque bytes (they stay in Header.raw) and skipped
    slot.kind = SLOT_KINDS[slot_type]
    body_len = len(body)

    # §6: "A body shorter than 80 bytes of a known type is MalformedSlot."
    if body_len < MIN_KNOWN_BODY_LEN:
        raise _malformed_slot(index, f"{slot.kind} body of {body_len} bytes, under 80")

    if slot_type == SLOT_RECOVERY_KEY:
        # parameters = salt (32); body_len 112
        if body_len != 112:
            raise _malformed_slot(index, f"recovery-key body of {body_len} bytes, not 112")
        slot.salt = body[:32]
        params_len = 32
    elif slot_type == SLOT_ARGON2ID:
        # m u32 (KiB), t u32, p u32, salt_len u8 (16..=64), salt; body_len 93 + salt_len
        m, t, p, salt_len = struct.unpack(">IIIB", body[:13])
        if not 16 <= salt_len <= 64:
            raise _malformed_slot(index, f"salt length {salt_len} outside 16..=64")
        if body_len != 93 + salt_len:
            raise _malformed_slot(index, f"argon2id body of {body_len} bytes, not {93 + salt_len}")
        slot.salt = body[13:13 + salt_len]
        params_len = 13 + salt_len
        # §6.2 ranges: 1 <= p <= 2^24 - 1, t >= 1, m >= 8 p
        if not 1 <= p <= 2**24 - 1:
            raise _malformed_slot(index, f"argon2id p = {p} outside 1..=2^24-1")
        if t < 1:
            raise _malformed_slot(index, "argon2id t = 0")
        if m < 8 * p:
            raise _malformed_slot(index, f"argon2id m = {m} KiB below 8 p = {8 * p}")
        slot.params = {"m": m, "t": t, "p": p}
    elif slot_type == SLOT_VAULT:
        # vault_id (32), salt (32), account_len u8 (16..=64), account, url_len u16
        # (0..=1024), url (UTF-8); body_len 147 + account_len + url_len.  Each
        # length is checked against its range before the bytes it counts (§6).
        params_end = body_len - MIN_KNOWN_BODY_LEN
        params = body[:params_end]

        def take(pos: int, n: int, what: str) -> bytes:
            if pos + n > len(params):
                raise _malformed_slot(index, f"vault body ends inside the {what}")
            return params[pos:pos + n]

        slot.vault_id = take(0, 32, "vault id")
        slot.salt = take(32, 32, "salt")
        (account_len,) = take(64, 1, "account length")
        if not 16 <= account_len <= 64:
            raise _malformed_slot(index, f"account length {account_len} outside 16..=64")
        slot.account = take(65, account_len, "account")
        pos = 65 + account_len
        (url_len,) = struct.unpack(">H", take(pos, 2, "URL length"))
        if url_len > 1024:
            raise _malformed_slot(index, f"URL length {url_len} over 1024")
        url = take(pos + 2, url_len, "URL")
        params_len = pos + 2 + url_len
        if params_len != params_end:
            raise _malformed_slot(index, f"vault body of {body_len} bytes, not "
                                         f"{params_len + MIN_KNOWN_BODY_LEN}")
        try:
            slot.url = url.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed_slot(index, "the URL hint is not UTF-8") from None
    else:  # SLOT_SCRYPT
        # log_n u8, r u32, p u32, salt_len u8 (16..=64), salt; body_len 90 + salt_len
        log_n, r, p, salt_len = struct.unpack(">BIIB", body[:10])
        if not 16 <= salt_len <= 64:
            raise _malformed_slot(index, f"salt length {salt_len} outside 16..=64")
        if body_len != 90 + salt_len:
            raise _malformed_slot(index, f"scrypt body of {body_len} bytes, not {90 + salt_len}")
        slot.salt = body[10:10 + salt_len]
        params_len = 10 + salt_len
        # §6.2 ranges: 1 <= log_n <= 63, r >= 1, p >= 1, r p < 2^30 (Python ints
        # do not overflow).  N < 2^(128 r / 8) is deliberately not checked.
        if not 1 <= log_n <= 63:
            raise _malformed_slot(index, f"scrypt log_n = {log_n} outside 1..=63")
        if r < 1:
            raise _malformed_slot(index, "scrypt r = 0")
        if p < 1:
            raise _malformed_slot(index, "scrypt p = 0")
        if r * p >= 2**30:
            raise _malformed_slot(index, f"scrypt r * p = {r * p} not below 2^30")
        slot.params = {"log_n": log_n, "r": r, "p": p}

    # §6: body = parameters || key_check (32) || wrapped_key (48)
    slot.slot_head = raw[:3 + params_len]
    slot.key_check = body[params_len:params_len + KEY_CHECK_LEN]
    slot.wrapped_key = body[params_len + KEY_CHECK_LEN:]
    assert len(slot.wrapped_key) == WRAPPED_KEY_LEN
    return slot


def vault_id(server_public_key: bytes) -> bytes:
    """§6.4: SHA-256("e2eb vault id v1" || 0x00 || server_public_key)."""
    return hashlib.sha256(b"e2eb vault id v1\x00" + server_public_key).digest()


# ---------------------------------------------------------------------------
# §10 KDF caps
# ---------------------------------------------------------------------------

def _default_max_memory() -> int:
    """min(4 GiB, half of physical RAM) (§10)."""
    four_gib = 4 * 2**30
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return four_gib
    return min(four_gib, physical // 2)


@dataclass(frozen=True)
class Caps:
    max_memory_bytes: int
    argon2_max_t: int = 64
    argon2_max_p: int = 64
    scrypt_max_log_n: int = 22
    scrypt_max_r: int = 32
    scrypt_max_p: int = 16
    max_work_bytes: int = 16 * 2**30
    max_backup_work_bytes: int = 32 * 2**30
    max_password_slots: int = 8

    @classmethod
    def default(cls) -> "Caps":
        return cls(max_memory_bytes=_default_max_memory())

    @classmethod
    def from_json(cls, obj: dict) -> "Caps":
        return cls(
            max_memory_bytes=obj["maxMemoryBytes"],
            argon2_max_t=obj["argon2MaxT"],
            argon2_max_p=obj["argon2MaxP"],
            scrypt_max_log_n=obj["scryptMaxLogN"],
            scrypt_max_r=obj["scryptMaxR"],
            scrypt_max_p=obj["scryptMaxP"],
            max_work_bytes=obj["maxWorkBytes"],
            max_backup_work_bytes=obj["maxBackupWorkBytes"],
            max_password_slots=obj["maxPasswordSlots"],
        )


def kdf_memory_bytes(slot: Slot) -> int:
    """§10: Argon2id m x 1024; scrypt 128 x r x (N + p) bytes (exact integers)."""
    if slot.type == SLOT_ARGON2ID:
        return slot.params["m"] * 1024
    if slot.type == SLOT_SCRYPT:
        return 128 * slot.params["r"] * (2 ** slot.params["log_n"] + slot.params["p"])
    return 0


def kdf_work_bytes(slot: Slot) -> int:
    """§10: memory x passes: Argon2id m x 1024 x t; scrypt 128 x r x N x p bytes."""
    if slot.type == SLOT_ARGON2ID:
        return slot.params["m"] * 1024 * slot.params["t"]
    if slot.type == SLOT_SCRYPT:
        return 128 * slot.params["r"] * 2 ** slot.params["log_n"] * slot.params["p"]
    return 0


def over_cap(slot: Slot, caps: Caps) -> Optional[tuple]:
    """§10: (parameter, value, cap) of the first cap the slot exceeds, in the
    order of the table, else None.

    Integer arithmetic on the parsed fields only; no KDF work.
    """
    checks = []
    if slot.type == SLOT_ARGON2ID:
        checks = [
            ("t", slot.params["t"], caps.argon2_max_t),
            ("p", slot.params["p"], caps.argon2_max_p),
        ]
    elif slot.type == SLOT_SCRYPT:
        checks = [
            ("logN", slot.params["log_n"], caps.scrypt_max_log_n),
            ("r", slot.params["r"], caps.scrypt_max_r),
            ("p", slot.params["p"], caps.scrypt_max_p),
        ]
    if checks:
        checks += [
            ("memory", kdf_memory_bytes(slot), caps.max_memory_bytes),
            ("work", kdf_work_bytes(slot), caps.max_work_bytes),
        ]
    for name, value, cap in checks:
        if value > cap:
            return (name, value, cap)
    return None


# ---------------------------------------------------------------------------
# §6.2 Deriving the KEK
# ---------------------------------------------------------------------------

def derive_kek(slot: Slot, secret: Secret) -> bytes:
    if slot.type == SLOT_RECOVERY_KEY:
        assert isinstance(secret, RecoveryKey)
        prk = hkdf_extract(salt=slot.salt, ikm=secret.key)
        return hkdf_expand(prk, b"e2eb v1 recovery key", 32)
    if slot.type == SLOT_VAULT:
        assert isinstance(secret, VaultSecret)
        prk = hkdf_extract(salt=slot.salt, ikm=secret.secret)
        return hkdf_expand(prk, b"e2eb v1 vault secret", 32)
    assert isinstance(secret, Password)
    if slot.type == SLOT_ARGON2ID:
        # RFC 9106, version 0x13, tag length 32, no K, no X.
        return Argon2id(salt=slot.salt, length=32, iterations=slot.params["t"],
                        lanes=slot.params["p"], memory_cost=slot.params["m"]).derive(secret.nfc_utf8)
    if slot.type == SLOT_SCRYPT:
        return scrypt(secret.nfc_utf8, slot.salt, slot.params["log_n"],
                      slot.params["r"], slot.params["p"], 32)
    raise AssertionError("no KEK for an unknown slot")


def scrypt(password: bytes, salt: bytes, log_n: int, r: int, p: int, dk_len: int) -> bytes:
    """RFC 7914 scrypt with N = 2^log_n, without the N < 2^(16 r) restriction (§6.2).

    OpenSSL (behind both `cryptography` and hashlib) refuses N >= 2^(16 r),
    i.e. r = 1 with log_n >= 16, which §6.2 says must not be enforced; those
    parameters fall back to a pure-Python scrypt (slow, but correct).
    """
    if 16 * r > log_n:
        return Scrypt(salt=salt, length=dk_len, n=2**log_n, r=r, p=p).derive(password)
    return _scrypt_pure(password, salt, 2**log_n, r, p, dk_len)


def _salsa20_8(b: list) -> list:
    x = list(b)

    def rotl(v, c):
        return ((v << c) | (v >> (32 - c))) & 0xFFFFFFFF

    for _ in range(4):  # 8 rounds = 4 double rounds
        for a, bb, c, d in ((0, 4, 8, 12), (5, 9, 13, 1), (10, 14, 2, 6), (15, 3, 7, 11)):
            x[bb] ^= rotl((x[a] + x[d]) & 0xFFFFFFFF, 7)
            x[c] ^= rotl((x[bb] + x[a]) & 0xFFFFFFFF, 9)
            x[d] ^= rotl((x[c] + x[bb]) & 0xFFFFFFFF, 13)
            x[a] ^= rotl((x[d] + x[c]) & 0xFFFFFFFF, 18)
        for a, bb, c, d in ((0, 1, 2, 3), (5, 6, 7, 4), (10, 11, 8, 9), (15, 12, 13, 14)):
            x[bb] ^= rotl((x[a] + x[d]) & 0xFFFFFFFF, 7)
            x[c] ^= rotl((x[bb] + x[a]) & 0xFFFFFFFF, 9)
            x[d] ^= rotl((x[c] + x[bb]) & 0xFFFFFFFF, 13)
            x[a] ^= rotl((x[d] + x[c]) & 0xFFFFFFFF, 18)
    return [(x[i] + b[i]) & 0xFFFFFFFF for i in range(16)]


def _block_mix(blocks: list, r: int) -> list:
    x = blocks[2 * r - 1]
    y = []
    for block in blocks:
        x = _salsa20_8([a ^ c for a, c in zip(x, block)])
        y.append(x)
    return y[0::2] + y[1::2]


def _scrypt_pure(password: bytes, salt: bytes, n: int, r: int, p: int, dk_len: int) -> bytes:
    b = hashlib.pbkdf2_hmac("sha256", password, salt, 1, p * 128 * r)
    out = b""
    for i in range(p):
        chunk = b[i * 128 * r:(i + 1) * 128 * r]
        words = list(struct.unpack(f"<{32 * r}I", chunk))
        x = [words[j * 16:(j + 1) * 16] for j in range(2 * r)]
        v = []
        for _ in range(n):
            v.append(x)
            x = _block_mix(x, r)
        for _ in range(n):
            # Integerify: the last 64-byte block as a little-endian integer, mod N
            # (N is a power of two <= 2^63, so its first 64 bits suffice).
            j = (x[2 * r - 1][0] | (x[2 * r - 1][1] << 32)) % n
            x = _block_mix([[a ^ c for a, c in zip(xb, vb)] for xb, vb in zip(x, v[j])], r)
        out += struct.pack(f"<{32 * r}I", *[w for blk in x for w in blk])
    return hashlib.pbkdf2_hmac("sha256", password, out, 1, dk_len)


# ---------------------------------------------------------------------------
# §6.1 Wrapping the file key: the slot key schedule
# ---------------------------------------------------------------------------

def slot_schedule(kek: bytes, header_prefix: bytes, slot_head: bytes) -> tuple:
    """(wrap_key 32, wrap_nonce 12, key_check 32) = HKDF-Expand(KEK, info, 76)."""
    info = b"e2eb v1 key slot" + b"\x00" + header_prefix + slot_head
    okm = hkdf_expand(kek, info, 76)
    return okm[:32], okm[32:44], okm[44:76]


# ---------------------------------------------------------------------------
# §7 Payload: c2sp.org/chunked-encryption v1 with the header as context
# ---------------------------------------------------------------------------

PAYLOAD_SALT_LEN = 24
COMMITMENT_LEN = 32
PAYLOAD_PREFIX_LEN = PAYLOAD_SALT_LEN + COMMITMENT_LEN  # 56
CHUNK_LEN = 16384
SEALED_CHUNK_LEN = CHUNK_LEN + TAG_LEN                  # 16400
MAX_CHUNKS = 2**38


def payload_schedule(file_key: bytes, suite: Suite, salt: bytes, header: bytes) -> tuple:
    """(key 32, base_nonce 12, commitment 32), §7."""
    if len(file_key) != KEY_LEN:
        raise E2ebError("InvalidKeyLength", f"input key of {len(file_key)} bytes, not 32")
    info = (b"c2sp.org/chunked-encryption@v1+" + suite.iana_name.encode("ascii") + b"\x00"
            + salt + header)
    okm = hkdf_expand(file_key, info, KEY_LEN + NONCE_LEN + COMMITMENT_LEN)
    return okm[:32], okm[32:44], okm[44:76]


def chunk_nonce(base_nonce: bytes, index: int) -> bytes:
    """base_nonce XOR i, i big-endian as wide as the nonce (§7)."""
    if index >= MAX_CHUNKS:
        raise E2ebError("MessageTooLong", "the chunk counter would reach 2^38")
    return (int.from_bytes(base_nonce, "big") ^ index).to_bytes(NONCE_LEN, "big")


def open_chunks(suite: Suite, key: bytes, base_nonce: bytes, chunks: bytes,
                chunks_offset: int) -> bytes:
    """§9 step 7: open the chunks in order, with the truncation rules.

    Reads the chunk area as a stream would: a window of 16,400 bytes with more
    input after it is a full chunk, opened at once; what is left at the end is
    the final chunk, which must be 16..=16,399 bytes.  End of input with 0
    bytes left (every chunk full: at a chunk boundary, including no chunk at
    all) or 1..=15 bytes left is Truncated.  Bytes appended after the true final
    chunk land in the last window, which then fails (ChunkCorrupt).
    `chunks_offset` is the file offset of chunk 0, for error messages.
    """
    released = []
    pos = 0
    index = 0
    total = len(chunks)
    while True:
        remaining = total - pos
        if remaining < TAG_LEN:
            what = ("the short final chunk is missing (input ends at a chunk boundary)"
                    if remaining == 0 else f"final chunk of {remaining} bytes, shorter than a tag")
            raise E2ebError("Truncated", what, partial_plaintext=b"".join(released))
        final = remaining < SEALED_CHUNK_LEN
        size = remaining if final else SEALED_CHUNK_LEN
        nonce = chunk_nonce(base_nonce, index)  # MessageTooLong at 2^38
        plaintext = aead_open(suite, key, nonce, chunks[pos:pos + size])
        if plaintext is None:
            raise E2ebError("ChunkCorrupt",
                            f"chunk {index} at file offset {chunks_offset + pos} fails authentication",
                            partial_plaintext=b"".join(released))
        released.append(plaintext)
        pos += size
        index += 1
        if final:
            return b"".join(released)


# ---------------------------------------------------------------------------
# §9 Opening a backup
# ---------------------------------------------------------------------------

@dataclass
class SlotTrace:
    index: int
    kek: bytes
    wrap_key: bytes
    wrap_nonce: bytes
    key_check: bytes


@dataclass
class Opened:
    """The result of steps 1..6 (and 7 for open_backup): what the vectors call intermediates."""
    header: Header
    file_key: bytes
    slot_index: int            # the slot that opened
    slot_traces: list          # every slot tried, in order
    aead_key: bytes
    base_nonce: bytes
    commitment: bytes
    chunks_offset: int         # file offset of chunk 0
    plaintext: Optional[bytes] = None


def _coerce_secret(secret) -> Secret:
    if isinstance(secret, (RecoveryKey, Password, VaultSecret)):
        return secret
    if isinstance(secret, dict):
        return secret_from_json(secret)
    raise TypeError("secret must be a RecoveryKey, a Password, a VaultSecret or a JSON secret object")


def _coerce_caps(caps) -> Caps:
    if caps is None:
        return Caps.default()
    if isinstance(caps, Caps):
        return caps
    return Caps.from_json(caps)


def _open_to_payload(backup: bytes, secret, caps) -> Opened:
    """§9 steps 1..6."""
    # The secret is parsed (MalformedRecoveryKey, EmptyPassword) before the
    # backup is read: §9 does not place this step (README.md, "Ambiguities found").
    secret = _coerce_secret(secret)
    caps = _coerce_caps(caps)

    # Step 1: parse the header (§5).
    header = parse_header(backup)

    # Step 2: the 56-byte payload prefix.
    prefix_end = len(header.raw) + PAYLOAD_PREFIX_LEN
    if len(backup) < prefix_end:
        raise E2ebError("Truncated", "input ends inside the payload salt or commitment")
    payload_salt = backup[len(header.raw):len(header.raw) + PAYLOAD_SALT_LEN]
    stored_commitment = backup[len(header.raw) + PAYLOAD_SALT_LEN:prefix_end]

    # Step 3: candidate slots for this kind of secret; unknown slots counted and skipped.
    if isinstance(secret, RecoveryKey):
        wanted = (SLOT_RECOVERY_KEY,)
    elif isinstance(secret, VaultSecret):
        wanted = (SLOT_VAULT,)  # one HKDF each, no caps (§10)
    else:
        wanted = (SLOT_ARGON2ID, SLOT_SCRYPT)
    candidates = [slot for slot in header.slots if slot.type in wanted]
    unknown = sum(1 for slot in header.slots if not slot.known)

    # Step 4: caps, before any KDF work or allocation; a slot over a cap is skipped.
    first_over_cap = None
    remaining = []
    for slot in candidates:
        excess = over_cap(slot, caps)
        if excess is None:
            remaining.append(slot)
        elif first_over_cap is None:
            first_over_cap = (slot, excess)

    # Step 4, continued: the backup's budget over the password slots left (§10),
    # identical (type, parameters, salt) counted once; over it, nothing is derived.
    seen = set()
    count = 0
    total_work = 0
    for slot in remaining:
        if slot.type not in (SLOT_ARGON2ID, SLOT_SCRYPT):
            continue
        identity = (slot.type, tuple(sorted(slot.params.items())), slot.salt)
        if identity in seen:
            continue
        seen.add(identity)
        count += 1
        total_work += kdf_work_bytes(slot)
        if count > caps.max_password_slots:
            raise E2ebError("KdfOverCap", f"slot {slot.index} ({slot.kind}): {count} password "
                                          f"derivations, over the cap {caps.max_password_slots}",
                            over_cap={"slot": slot.index, "parameter": "passwordSlots"})
        if total_work > caps.max_backup_work_bytes:
            raise E2ebError("KdfOverCap", f"slot {slot.index} ({slot.kind}): summed work "
                                          f"{total_work} over the budget {caps.max_backup_work_bytes}",
                            over_cap={"slot": slot.index, "parameter": "backupWork"})

    # Step 5: try the remaining candidates in header order (§6.1), each
    # distinct derivation once.
    file_key = None
    opened_slot = None
    corrupt_slot = None
    traces = []
    keks = {}
    for slot in remaining:
        identity = (slot.type, tuple(sorted(slot.params.items())), slot.salt)
        if identity not in keks:
            keks[identity] = derive_kek(slot, secret)
        kek = keks[identity]
        wrap_key, wrap_nonce, key_check = slot_schedule(kek, header.prefix, slot.slot_head)
        traces.append(SlotTrace(slot.index, kek, wrap_key, wrap_nonce, key_check))
        if not hmac.compare_digest(key_check, slot.key_check):
            continue  # not this slot's secret
        unwrapped = aead_open(header.suite, wrap_key, wrap_nonce, slot.wrapped_key)
        if unwrapped is None:
            # §6.1: SlotCorrupt.  §9 step 5 ranks it only "if none opens", so
            # the remaining candidates are still tried.
            if corrupt_slot is None:
                corrupt_slot = slot
            continue
        file_key = unwrapped
        opened_slot = slot
        break

    if file_key is None:
        if corrupt_slot is not None:
            raise E2ebError("SlotCorrupt", f"slot {corrupt_slot.index}: the key check matched "
                                           "but the wrapped key fails authentication")
        if first_over_cap is not None:
            slot, (name, value, cap) = first_over_cap
            raise E2ebError("KdfOverCap", f"slot {slot.index} ({slot.kind}): {name} = {value} "
                                          f"over the cap {cap}",
                            over_cap={"slot": slot.index, "parameter": name})
        kind = ("recovery-key" if isinstance(secret, RecoveryKey)
                else "vault" if isinstance(secret, VaultSecret) else "password")
        raise E2ebError("NoSlotOpened", f"{len(remaining)} {kind} slot(s) tried, none opened; "
                                        f"{unknown} unknown slot(s) skipped")

    # Step 6: the commitment, with the header bytes as context.
    aead_key, base_nonce, commitment = payload_schedule(file_key, header.suite, payload_salt, header.raw)
    if not hmac.compare_digest(commitment, stored_commitment):
        raise E2ebError("HeaderAltered", "the payload commitment does not match the header and file key")

    return Opened(header=header, file_key=file_key, slot_index=opened_slot.index,
                  slot_traces=traces, aead_key=aead_key, base_nonce=base_nonce,
                  commitment=commitment, chunks_offset=prefix_end)


def open_backup(backup: bytes, secret, caps=None) -> Opened:
    """§9 steps 1..7; the Opened carries the plaintext and the intermediates."""
    opened = _open_to_payload(backup, secret, caps)
    # Step 7: open the chunks in order.
    opened.plaintext = open_chunks(opened.header.suite, opened.aead_key, opened.base_nonce,
                                   backup[opened.chunks_offset:], opened.chunks_offset)
    return opened


def decrypt(backup: bytes, secret, caps=None) -> bytes:
    """Decrypt a whole backup held in memory; raises E2ebError."""
    return open_backup(backup, secret, caps).plaintext


def authenticate_length(backup: bytes, secret, caps=None) -> int:
    """§9 "Random access": steps 1..6, then the message length from the file
    length, authenticated by opening the final chunk alone.  Returns it."""
    opened = _open_to_payload(backup, secret, caps)
    chunks_len = len(backup) - opened.chunks_offset
    full, rest = divmod(chunks_len, SEALED_CHUNK_LEN)
    if rest < TAG_LEN:  # 0 or 1..=15 bytes past the last full chunk
        raise E2ebError("Truncated", "no valid final chunk length")
    start = opened.chunks_offset + full * SEALED_CHUNK_LEN
    nonce = chunk_nonce(opened.base_nonce, full)
    if aead_open(opened.header.suite, opened.aead_key, nonce, backup[start:]) is None:
        raise E2ebError("ChunkCorrupt", f"final chunk {full} at file offset {start} fails authentication")
    return full * CHUNK_LEN + rest - TAG_LEN
