"""Deterministic e2eb v1 encryption from fixed inputs (SPEC.md §8), for tests only.

Rebuilds a backup from the "encryption" object of a valid test vector
(vectors/README.md): suite, fileKey, slots in header order, payloadSalt.  It
reuses the decoder's primitives, so it checks the layout (§5, §6), the slot
wrap (§6.1) and the payload sealing (§7) against the published backups; it
draws no randomness and is not meant for making real backups.
"""

import struct

import e2eb_decoder as e2eb

_SUITE_BY_NAME = {suite.name: suite for suite in e2eb.SUITES.values()}


def _slot_head(slot: dict) -> bytes:
    """type || body_len || parameters (§6, §6.1)."""
    salt = bytes.fromhex(slot["salt"])
    if slot["type"] == "recovery-key":
        return struct.pack(">BH", e2eb.SLOT_RECOVERY_KEY, 112) + salt
    if slot["type"] == "vault":
        account = bytes.fromhex(slot["account"])
        url = slot["url"].encode("utf-8")
        params = (bytes.fromhex(slot["vaultId"]) + salt + bytes([len(account)]) + account
                  + struct.pack(">H", len(url)) + url)
        return struct.pack(">BH", e2eb.SLOT_VAULT, len(params) + 80) + params
    kdf = slot["kdf"]
    if slot["type"] == "argon2id":
        params = struct.pack(">IIIB", kdf["m"], kdf["t"], kdf["p"], len(salt)) + salt
        return struct.pack(">BH", e2eb.SLOT_ARGON2ID, 93 + len(salt)) + params
    if slot["type"] == "scrypt":
        params = struct.pack(">BIIB", kdf["logN"], kdf["r"], kdf["p"], len(salt)) + salt
        return struct.pack(">BH", e2eb.SLOT_SCRYPT, 90 + len(salt)) + params
    raise ValueError(f"unknown slot type {slot['type']}")


def encrypt_with_inputs(plaintext: bytes, inputs: dict) -> bytes:
    suite = _SUITE_BY_NAME[inputs["suite"]]
    file_key = bytes.fromhex(inputs["fileKey"])
    prefix = e2eb.MAGIC + bytes([e2eb.VERSION, suite.id])

    # §5, §6: the slots, back to back.
    slots = b""
    for slot in inputs["slots"]:
        if slot["type"] == "unknown":
            raw = bytes.fromhex(slot["raw"])  # type byte, then body
            slots += raw[:1] + struct.pack(">H", len(raw) - 1) + raw[1:]
            continue
        head = _slot_head(slot)
        parsed = e2eb.Slot(index=0, type=head[0], raw=head, salt=bytes.fromhex(slot["salt"]))
        if slot["type"] == "recovery-key":
            secret = e2eb.RecoveryKey(bytes.fromhex(slot["secret"]))
        elif slot["type"] == "vault":
            secret = e2eb.VaultSecret(bytes.fromhex(slot["secret"]))
        else:
            secret = e2eb.Password.from_str(slot["secret"])
            kdf = slot["kdf"]
            parsed.params = ({"m": kdf["m"], "t": kdf["t"], "p": kdf["p"]} if slot["type"] == "argon2id"
                             else {"log_n": kdf["logN"], "r": kdf["r"], "p": kdf["p"]})
        kek = e2eb.derive_kek(parsed, secret)
        wrap_key, wrap_nonce, key_check = e2eb.slot_schedule(kek, prefix, head)
        wrapped = suite.aead(wrap_key).encrypt(wrap_nonce, file_key, b"")
        slots += head + key_check + wrapped
    header = prefix + bytes([len(inputs["slots"])]) + slots

    # §7: payload key schedule with the header as context, then the chunks.
    salt = bytes.fromhex(inputs["payloadSalt"])
    key, base_nonce, commitment = e2eb.payload_schedule(file_key, suite, salt, header)
    out = [header, salt, commitment]
    aead = suite.aead(key)
    full, _ = divmod(len(plaintext), e2eb.CHUNK_LEN)
    for index in range(full + 1):  # the final chunk is always short, maybe empty
        chunk = plaintext[index * e2eb.CHUNK_LEN:(index + 1) * e2eb.CHUNK_LEN]
        out.append(aead.encrypt(e2eb.chunk_nonce(base_nonce, index), chunk, b""))
    return b"".join(out)
