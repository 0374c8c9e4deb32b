//! The header: magic, version, suite and key slots, encoded canonically and parsed with every
//! length bounded before it is trusted (SPEC.md, "Header").

use std::io::Read;

use crate::backend::Backend;
use crate::caps::KdfCaps;
use crate::entropy::Entropy;
use crate::error::{Error, Result, Truncation};
use crate::kdf::{KEK_LEN, KdfParams};
use crate::payload_cipher::FileKey;
use crate::slot::{KeySlot, Secret, SlotKind, SlotSecret};
use crate::source::read_up_to;
use crate::suite::Suite;
use crate::version::fixed_prefix;
use zeroize::Zeroizing;

pub use crate::version::{MAGIC, VERSION};

/// Most key slots a header may hold.
pub const MAX_SLOTS: usize = 16;
/// Longest slot body the format accepts, in bytes, known slot type or not.
pub const MAX_SLOT_BODY_LEN: usize = 4096;
/// Length of the fixed part of the header: magic, version, suite, slot count.
pub const FIXED_LEN: usize = MAGIC.len() + 3;
/// Longest possible header, in bytes.
pub const MAX_HEADER_LEN: usize = FIXED_LEN + MAX_SLOTS * (3 + MAX_SLOT_BODY_LEN);

/// A parsed (or freshly built) header, with its exact bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    suite: Suite,
    slots: Vec<KeySlot>,
    bytes: Vec<u8>,
}

impl Header {
    /// Builds the header of a new backup: one slot per secret, each wrapping `file_key` with
    /// `backend`'s AEAD.
    pub(crate) fn seal(
        suite: Suite,
        backend: Backend,
        secrets: &[SlotSecret],
        file_key: &FileKey,
        entropy: &mut Entropy,
    ) -> Result<Header> {
        if secrets.is_empty() || secrets.len() > MAX_SLOTS {
            return Err(Error::SlotCount {
                found: secrets.len(),
                max: MAX_SLOTS,
            });
        }
        // Before any slot is sealed, so that a refused password costs no KDF work.
        for secret in secrets {
            if let SlotSecret::Password(password, _) = secret {
                password.check_assigned()?;
            }
        }
        let slots = secrets
            .iter()
            .map(|secret| KeySlot::seal(suite, backend, secret, file_key, entropy))
            .collect::<Result<Vec<_>>>()?;
        Ok(Header::from_slots(suite, slots))
    }

    /// Encodes a header from its parts. Public for tools that rewrite headers (test vectors,
    /// fuzzers); backups are made with [`crate::Encryptor`].
    pub fn from_slots(suite: Suite, slots: Vec<KeySlot>) -> Header {
        let mut bytes = Vec::with_capacity(FIXED_LEN + slots.len() * 128);
        bytes.extend_from_slice(&fixed_prefix(suite));
        bytes.push(u8::try_from(slots.len()).expect("at most MAX_SLOTS slots"));
        for slot in &slots {
            slot.encode(&mut bytes);
        }
        Header {
            suite,
            slots,
            bytes,
        }
    }

    /// Reads exactly one header from `reader`, leaving it at the first payload byte.
    pub fn read_from<R: Read + ?Sized>(reader: &mut R) -> Result<Header> {
        let mut bytes = Vec::with_capacity(512);
        let mut fixed = [0u8; FIXED_LEN];
        let got = read_up_to(reader, &mut fixed)?;
        if fixed[..got.min(MAGIC.len())] != MAGIC[..got.min(MAGIC.len())] {
            return Err(Error::NotABackup);
        }
        if got < FIXED_LEN {
            return Err(Error::Truncated(Truncation::Header));
        }
        bytes.extend_from_slice(&fixed);
        let version = fixed[MAGIC.len()];
        // The version is checked before anything after it: a later version may lay out the
        // rest of the header differently.
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: VERSION,
            });
        }
        let suite_id = fixed[MAGIC.len() + 1];
        let suite = Suite::from_id(suite_id).ok_or(Error::UnsupportedSuite(suite_id))?;
        let slot_count = usize::from(fixed[MAGIC.len() + 2]);
        if !(1..=MAX_SLOTS).contains(&slot_count) {
            return Err(Error::MalformedHeader(format!(
                "slot count {slot_count} is outside 1..={MAX_SLOTS}"
            )));
        }
        let mut slots = Vec::with_capacity(slot_count);
        for index in 0..slot_count {
            let mut slot_head = [0u8; 3];
            read_exact_or_truncated(reader, &mut slot_head)?;
            let type_id = slot_head[0];
            let body_len = usize::from(u16::from_be_bytes([slot_head[1], slot_head[2]]));
            if body_len > MAX_SLOT_BODY_LEN {
                return Err(Error::MalformedSlot {
                    index,
                    problem: format!("body length {body_len} exceeds {MAX_SLOT_BODY_LEN} bytes"),
                });
            }
            let start = bytes.len();
            bytes.extend_from_slice(&slot_head);
            bytes.resize(start + 3 + body_len, 0);
            read_exact_or_truncated(reader, &mut bytes[start + 3..])?;
            let slot = KeySlot::decode(type_id, &bytes[start + 3..])
                .map_err(|problem| Error::MalformedSlot { index, problem })?;
            slots.push(slot);
        }
        Ok(Header {
            suite,
            slots,
            bytes,
        })
    }

    /// Parses the header at the start of `backup`; returns it and its length.
    pub fn parse(backup: &[u8]) -> Result<(Header, usize)> {
        let mut reader = backup;
        let header = Header::read_from(&mut reader)?;
        let len = header.bytes.len();
        Ok((header, len))
    }

    /// The cipher suite.
    pub fn suite(&self) -> Suite {
        self.suite
    }

    /// The format version.
    pub fn version(&self) -> u8 {
        VERSION
    }

    /// The key slots, in header order.
    pub fn slots(&self) -> &[KeySlot] {
        &self.slots
    }

    /// The header's exact bytes: the payload's context.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Length of the header in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always false: a header holds at least its fixed part.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Finds the slot that `secret` opens and returns the file key (SPEC.md, "Opening a backup").
    ///
    /// Before any KDF work: a password slot whose parameters exceed `caps` is skipped; then the
    /// password slots left, in header order, with slots of identical KDF, parameters and salt
    /// counted once, must fit the backup's budget (the number of derivations and their summed
    /// work), or the whole backup is refused with [`Error::KdfOverCap`] naming the slot where
    /// it runs out. Then the slots are tried in header order, each distinct derivation run
    /// once. When none opens, the error is, in this order: [`Error::SlotCorrupt`] if the
    /// secret matched a slot whose wrapped key is damaged, [`Error::KdfOverCap`] if a slot was
    /// skipped for its cost (or [`Error::KdfMemory`] if the machine could not give a KDF its
    /// memory), else [`Error::NoSlotOpened`].
    pub(crate) fn unlock_with(
        &self,
        secret: &Secret,
        caps: &KdfCaps,
        backend: Backend,
    ) -> Result<FileKey> {
        let mut unknown = 0;
        let mut over_cap = None;
        let mut candidates = Vec::with_capacity(self.slots.len());
        for (index, slot) in self.slots.iter().enumerate() {
            match (slot, secret) {
                (KeySlot::Unknown { .. }, _) => unknown += 1,
                // One HKDF each, like a recovery key: no KDF caps or budget apply.
                (KeySlot::RecoveryKey { .. }, Secret::RecoveryKey(_))
                | (KeySlot::Vault { .. }, Secret::VaultSecret(_)) => candidates.push(index),
                (KeySlot::Password { kdf, .. }, Secret::Password(_)) => match caps.check(kdf) {
                    Ok(()) => candidates.push(index),
                    Err(exceeded) => {
                        over_cap.get_or_insert(Error::KdfOverCap {
                            index,
                            kind: slot.kind(),
                            exceeded,
                        });
                    }
                },
                _ => {}
            }
        }
        self.check_password_budget(&candidates, caps)?;

        let mut derived: Vec<DerivedKek<'_>> = Vec::new();
        let mut corrupt = None;
        let mut tried = 0;
        for index in candidates {
            let slot = &self.slots[index];
            let kek = match slot {
                KeySlot::Password { kdf, salt, .. } => {
                    let same = |&&(other_kdf, other_salt, _): &&DerivedKek<'_>| {
                        other_kdf == kdf && other_salt == salt.as_slice()
                    };
                    match derived.iter().find(same) {
                        Some((_, _, kek)) => kek.clone(),
                        None => match slot.kek(secret) {
                            Ok(Some(kek)) => {
                                derived.push((kdf, salt, kek.clone()));
                                kek
                            }
                            Ok(None) => continue,
                            Err(error @ Error::KdfMemory { .. }) => {
                                over_cap.get_or_insert(error);
                                continue;
                            }
                            Err(other) => return Err(other),
                        },
                    }
                }
                _ => match slot.kek(secret)? {
                    Some(kek) => kek,
                    None => continue,
                },
            };
            tried += 1;
            match slot.open_with_kek(index, self.suite, backend, &kek) {
                Ok(Some(file_key)) => return Ok(file_key),
                Ok(None) => {}
                Err(error @ Error::SlotCorrupt { .. }) => {
                    corrupt.get_or_insert(error);
                }
                Err(other) => return Err(other),
            }
        }
        Err(corrupt.or(over_cap).unwrap_or(Error::NoSlotOpened {
            secret: secret.kind(),
            tried,
            unknown,
        }))
    }

    /// The backup's budget over the password slots among `candidates` (SPEC.md, "KDF caps"):
    /// the distinct derivations, in header order, counted and their work summed.
    fn check_password_budget(&self, candidates: &[usize], caps: &KdfCaps) -> Result<()> {
        let mut seen: Vec<(&KdfParams, &[u8])> = Vec::new();
        let derivations = candidates.iter().filter_map(|&index| {
            let KeySlot::Password { kdf, salt, .. } = &self.slots[index] else {
                return None;
            };
            if seen.contains(&(kdf, salt.as_slice())) {
                return None;
            }
            seen.push((kdf, salt));
            Some((index, kdf.work_bytes()))
        });
        caps.check_backup(derivations)
            .map_err(|(index, exceeded)| Error::KdfOverCap {
                index,
                kind: self.slots[index].kind(),
                exceeded,
            })
    }

    /// The kinds of the slots, in header order.
    pub fn slot_kinds(&self) -> impl Iterator<Item = SlotKind> + '_ {
        self.slots.iter().map(KeySlot::kind)
    }
}

/// A password slot's KDF, parameters and salt, and the KEK they gave: derived once per backup.
type DerivedKek<'a> = (&'a KdfParams, &'a [u8], Zeroizing<[u8; KEK_LEN]>);

fn read_exact_or_truncated<R: Read + ?Sized>(reader: &mut R, buffer: &mut [u8]) -> Result<()> {
    if read_up_to(reader, buffer)? < buffer.len() {
        return Err(Error::Truncated(Truncation::Header));
    }
    Ok(())
}
