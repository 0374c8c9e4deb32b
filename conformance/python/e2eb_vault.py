"""The e2eb vault's derivations that need no OPAQUE library (VAULT.md sections 2 and 3).

Written from VAULT.md: the vault id of a server public key, the envelope key derived from
OPAQUE's export key, and sealing and opening the envelope that holds a vault secret. The OPAQUE
exchange itself (RFC 9807) is not implemented here: the vault protocol vectors' transcripts
(registration, KE1, KE2, KE3, export and session keys) are left to an OPAQUE implementation.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

VAULT_ID_LABEL = b"e2eb vault id v1"
ENVELOPE_KEY_INFO = b"e2eb vault envelope v1"
NONCE_LEN = 12
SECRET_LEN = 32
ENVELOPE_LEN = NONCE_LEN + SECRET_LEN + 16


class EnvelopeError(Exception):
    """The envelope does not open with this export key and account (VAULT.md section 3)."""

    error_class = "EnvelopeDoesNotOpen"


def vault_id(server_public_key: bytes) -> bytes:
    """VAULT.md section 2: SHA-256("e2eb vault id v1" || 0x00 || server_public_key)."""
    return hashlib.sha256(VAULT_ID_LABEL + b"\x00" + server_public_key).digest()


def envelope_key(export_key: bytes) -> bytes:
    """VAULT.md section 3: HKDF-SHA-512(salt = empty, IKM = export_key, info, L = 32)."""
    # RFC 5869: an empty salt is HashLen zero bytes, which HMAC pads to the same key.
    prk = hmac.new(b"\x00" * 64, export_key, hashlib.sha512).digest()
    # One block of HKDF-Expand gives 64 bytes, more than the 32 needed.
    return hmac.new(prk, ENVELOPE_KEY_INFO + b"\x01", hashlib.sha512).digest()[:32]


def seal_envelope(export_key: bytes, account: bytes, secret: bytes, nonce: bytes) -> bytes:
    """VAULT.md section 3: nonce || ChaCha20-Poly1305(key, nonce, secret, AD = account)."""
    if len(secret) != SECRET_LEN or len(nonce) != NONCE_LEN:
        raise ValueError("a vault secret is 32 bytes and the nonce 12")
    return nonce + ChaCha20Poly1305(envelope_key(export_key)).encrypt(nonce, secret, account)


def open_envelope(export_key: bytes, account: bytes, envelope: bytes) -> bytes:
    """The vault secret inside `envelope`; raises EnvelopeError if it does not open."""
    if len(envelope) != ENVELOPE_LEN:
        raise EnvelopeError(f"an envelope is {ENVELOPE_LEN} bytes, not {len(envelope)}")
    nonce, sealed = envelope[:NONCE_LEN], envelope[NONCE_LEN:]
    try:
        return ChaCha20Poly1305(envelope_key(export_key)).decrypt(nonce, sealed, account)
    except InvalidTag as error:
        raise EnvelopeError("the envelope's tag does not verify") from error
