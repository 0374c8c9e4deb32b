//! Building backups from fixed inputs, with their intermediate values.

use std::collections::BTreeMap;

use e2eb::hazmat::Entropy;
use e2eb::hazmat::PayloadSchedule;
use e2eb::payload::{CHUNK_LEN, PREFIX_LEN, SALT_LEN, SEALED_CHUNK_LEN};
use e2eb::{
    Backend, Encryptor, Header, KdfParams, KeySlot, Password, RecoveryKey, Secret, Suite, Threads,
    VaultAccount, VaultId, VaultSecret,
};
use sha2::{Digest, Sha512};

use crate::model::{EncryptionInputs, Intermediates, SlotInputs, SlotIntermediates};

/// Deterministic bytes for `label`: SHA-512 in counter mode over a domain-separated label, so
/// every "random" input of every vector is reproducible and distinct.
pub fn fixed_bytes(label: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut counter = 0u32;
    while out.len() < len {
        let mut hash = Sha512::new();
        hash.update(b"e2eb test vectors\x00");
        hash.update(label.as_bytes());
        hash.update(counter.to_be_bytes());
        out.extend_from_slice(&hash.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
}

fn fixed_array<const N: usize>(label: &str) -> [u8; N] {
    fixed_bytes(label, N).try_into().expect("N bytes")
}

/// One slot of a recipe.
#[derive(Clone, Debug)]
pub enum SlotRecipe {
    /// A recovery-key slot.
    RecoveryKey {
        /// The key.
        key: [u8; 32],
        /// Its salt.
        salt: [u8; 32],
    },
    /// A password slot.
    Password {
        /// The password.
        password: String,
        /// Its KDF.
        kdf: KdfParams,
        /// Its salt (32 bytes).
        salt: Vec<u8>,
    },
    /// A vault slot.
    Vault {
        /// The vault secret.
        secret: [u8; 32],
        /// Its salt.
        salt: [u8; 32],
        /// The vault, account and URL hint.
        account: VaultAccount,
    },
    /// A slot of a type this version does not know.
    Unknown {
        /// Type byte.
        type_id: u8,
        /// Body.
        body: Vec<u8>,
    },
}

impl SlotRecipe {
    /// A recovery-key slot with key and salt derived from `label`.
    pub fn recovery_key(label: &str) -> SlotRecipe {
        SlotRecipe::RecoveryKey {
            key: recovery_key_bytes(label),
            salt: fixed_array(&format!("{label}/recovery-key salt")),
        }
    }

    /// A password slot with its salt derived from `label`.
    pub fn password(label: &str, password: &str, kdf: KdfParams) -> SlotRecipe {
        SlotRecipe::Password {
            password: password.into(),
            kdf,
            salt: fixed_bytes(&format!("{label}/password salt"), 32),
        }
    }

    /// A vault slot with its secret, salt, vault and account derived from `label`, at `url`.
    pub fn vault(label: &str, url: &str) -> SlotRecipe {
        SlotRecipe::Vault {
            secret: vault_secret_bytes(label),
            salt: fixed_array(&format!("{label}/vault salt")),
            account: VaultAccount::new(
                VaultId::from_server_public_key(&fixed_bytes(
                    &format!("{label}/vault server public key"),
                    32,
                )),
                fixed_bytes(&format!("{label}/vault account"), 32),
                url.into(),
            )
            .expect("a 32-byte account and a short URL"),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            SlotRecipe::RecoveryKey { .. } => "recovery-key",
            SlotRecipe::Vault { .. } => "vault",
            SlotRecipe::Password { kdf, .. } => kdf.kind().name(),
            SlotRecipe::Unknown { .. } => "unknown",
        }
    }

    fn secret(&self) -> Option<Secret> {
        match self {
            SlotRecipe::RecoveryKey { key, .. } => {
                Some(Secret::RecoveryKey(RecoveryKey::from_bytes(*key)))
            }
            SlotRecipe::Password { password, .. } => Some(Secret::Password(
                Password::new(password.clone()).expect("non-empty"),
            )),
            SlotRecipe::Vault { secret, .. } => {
                Some(Secret::VaultSecret(VaultSecret::from_bytes(*secret)))
            }
            SlotRecipe::Unknown { .. } => None,
        }
    }

    fn inputs(&self) -> SlotInputs {
        let mut inputs = SlotInputs {
            kind: self.kind().into(),
            secret: None,
            kdf: None,
            salt: None,
            raw: None,
            vault_id: None,
            account: None,
            url: None,
        };
        match self {
            SlotRecipe::RecoveryKey { key, salt } => {
                inputs.secret = Some(hex::encode(key));
                inputs.salt = Some(hex::encode(salt));
            }
            SlotRecipe::Password {
                password,
                kdf,
                salt,
            } => {
                inputs.secret = Some(password.clone());
                inputs.kdf = Some(kdf_map(kdf));
                inputs.salt = Some(hex::encode(salt));
            }
            SlotRecipe::Vault {
                secret,
                salt,
                account,
            } => {
                inputs.secret = Some(hex::encode(secret));
                inputs.salt = Some(hex::encode(salt));
                inputs.vault_id = Some(hex::encode(account.vault_id().as_bytes()));
                inputs.account = Some(hex::encode(account.account()));
                inputs.url = Some(account.url().into());
            }
            SlotRecipe::Unknown { type_id, body } => {
                inputs.raw = Some(format!("{type_id:02x}{}", hex::encode(body)));
            }
        }
        inputs
    }
}

/// The recovery key a label stands for.
pub fn recovery_key_bytes(label: &str) -> [u8; 32] {
    fixed_array(&format!("{label}/recovery key"))
}

/// The vault secret a label stands for.
pub fn vault_secret_bytes(label: &str) -> [u8; 32] {
    fixed_array(&format!("{label}/vault secret"))
}

/// KDF parameters as the vectors write them.
pub fn kdf_map(kdf: &KdfParams) -> BTreeMap<String, u64> {
    match kdf {
        KdfParams::Argon2id(p) => [
            ("m", p.memory_kib().into()),
            ("t", p.passes().into()),
            ("p", p.lanes().into()),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .into(),
        KdfParams::Scrypt(p) => [
            ("logN", p.log_n().into()),
            ("r", p.r().into()),
            ("p", p.p().into()),
        ]
        .map(|(k, v)| (k.to_string(), v))
        .into(),
        // The vectors describe the parameters of the KDFs the format defines only.
        _ => BTreeMap::new(),
    }
}

/// Everything that determines a backup: suite, slots, file key and payload salt.
#[derive(Clone, Debug)]
pub struct Recipe {
    /// The suite.
    pub suite: Suite,
    /// The slots, in header order.
    pub slots: Vec<SlotRecipe>,
    /// The file key.
    pub file_key: [u8; 32],
    /// The payload salt.
    pub payload_salt: [u8; SALT_LEN],
}

/// A backup with what it was made from and what was derived on the way.
#[derive(Clone, Debug)]
pub struct Built {
    /// The backup's bytes.
    pub backup: Vec<u8>,
    /// Its header.
    pub header: Header,
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The fixed inputs.
    pub inputs: EncryptionInputs,
    /// The intermediate values.
    pub intermediates: Intermediates,
}

impl Recipe {
    /// A recipe whose file key and payload salt derive from `label`.
    pub fn new(label: &str, suite: Suite, slots: Vec<SlotRecipe>) -> Recipe {
        Recipe {
            suite,
            slots,
            file_key: fixed_array(&format!("{label}/file key")),
            payload_salt: fixed_array(&format!("{label}/payload salt")),
        }
    }

    /// The recipe a vector's published inputs describe.
    pub fn from_inputs(inputs: &EncryptionInputs) -> Result<Recipe, String> {
        let hex_array = |text: &str| -> Result<Vec<u8>, String> {
            hex::decode(text).map_err(|e| format!("{text}: {e}"))
        };
        let suite = Suite::from_name(&inputs.suite)
            .ok_or_else(|| format!("unknown suite {}", inputs.suite))?;
        let mut slots = Vec::new();
        for slot in &inputs.slots {
            let salt = slot.salt.as_deref().map(hex_array).transpose()?;
            slots.push(match slot.kind.as_str() {
                "recovery-key" => SlotRecipe::RecoveryKey {
                    key: hex_array(slot.secret.as_deref().unwrap_or_default())?
                        .try_into()
                        .map_err(|_| "key length")?,
                    salt: salt.ok_or("salt")?.try_into().map_err(|_| "salt length")?,
                },
                "argon2id" | "scrypt" => {
                    let kdf = slot.kdf.as_ref().ok_or("kdf")?;
                    let get = |key: &str| kdf.get(key).copied().ok_or_else(|| format!("kdf.{key}"));
                    let narrow = |value: u64| u32::try_from(value).map_err(|e| e.to_string());
                    let params = if slot.kind == "argon2id" {
                        KdfParams::Argon2id(e2eb::Argon2idParams::unvalidated(
                            narrow(get("m")?)?,
                            narrow(get("t")?)?,
                            narrow(get("p")?)?,
                        ))
                    } else {
                        KdfParams::Scrypt(e2eb::ScryptParams::unvalidated(
                            u8::try_from(get("logN")?).map_err(|e| e.to_string())?,
                            narrow(get("r")?)?,
                            narrow(get("p")?)?,
                        ))
                    };
                    SlotRecipe::Password {
                        password: slot.secret.clone().ok_or("secret")?,
                        kdf: params,
                        salt: salt.ok_or("salt")?,
                    }
                }
                "vault" => {
                    let array = |text: Option<&str>, what: &str| -> Result<[u8; 32], String> {
                        crate::model::hex_array(text.unwrap_or_default())
                            .ok_or_else(|| format!("{what}: not 32 bytes of hex"))
                    };
                    SlotRecipe::Vault {
                        secret: array(slot.secret.as_deref(), "secret")?,
                        salt: salt.ok_or("salt")?.try_into().map_err(|_| "salt length")?,
                        account: VaultAccount::new(
                            VaultId::from_bytes(array(slot.vault_id.as_deref(), "vaultId")?),
                            hex_array(slot.account.as_deref().ok_or("account")?)?,
                            slot.url.clone().ok_or("url")?,
                        )
                        .map_err(|e| e.to_string())?,
                    }
                }
                "unknown" => {
                    let raw = hex_array(slot.raw.as_deref().ok_or("raw")?)?;
                    let (type_id, body) = raw.split_first().ok_or("empty raw slot")?;
                    SlotRecipe::Unknown {
                        type_id: *type_id,
                        body: body.to_vec(),
                    }
                }
                other => return Err(format!("unknown slot kind {other}")),
            });
        }
        Ok(Recipe {
            suite,
            slots,
            file_key: hex_array(&inputs.file_key)?
                .try_into()
                .map_err(|_| "file key length")?,
            payload_salt: hex_array(&inputs.payload_salt)?
                .try_into()
                .map_err(|_| "payload salt length")?,
        })
    }

    /// Encrypts `plaintext`.
    pub fn build(&self, plaintext: &[u8]) -> e2eb::Result<Built> {
        self.build_with(plaintext, Backend::Auto)
    }

    /// Encrypts `plaintext` with `backend`'s AEAD (every backend must give the same bytes).
    pub fn build_with(&self, plaintext: &[u8], backend: Backend) -> e2eb::Result<Built> {
        // The library makes the known slots (with the fixed salts), then the header is put
        // together with any unknown slots and the payload sealed under it.
        let mut entropy = self.file_key.to_vec();
        let mut encryptor = Encryptor::new(self.suite)
            .threads(Threads::new(1))
            .backend(backend);
        for slot in &self.slots {
            match slot {
                SlotRecipe::RecoveryKey { key, salt } => {
                    entropy.extend_from_slice(salt);
                    encryptor = encryptor.recovery_key(RecoveryKey::from_bytes(*key));
                }
                SlotRecipe::Password {
                    password,
                    kdf,
                    salt,
                } => {
                    entropy.extend_from_slice(salt);
                    encryptor = encryptor.password(Password::new(password.clone())?, *kdf);
                }
                SlotRecipe::Vault {
                    secret,
                    salt,
                    account,
                } => {
                    entropy.extend_from_slice(salt);
                    encryptor =
                        encryptor.vault_secret(VaultSecret::from_bytes(*secret), account.clone());
                }
                SlotRecipe::Unknown { .. } => {}
            }
        }
        entropy.extend_from_slice(&[0; SALT_LEN]);
        let scratch = encryptor
            .entropy(Entropy::fixed(entropy))
            .encrypt_to_vec(&[])?;
        let (made, _) = Header::parse(&scratch)?;
        let mut made_slots = made.slots().iter().cloned();
        let slots: Vec<KeySlot> = self
            .slots
            .iter()
            .map(|slot| match slot {
                SlotRecipe::Unknown { type_id, body } => KeySlot::Unknown {
                    type_id: *type_id,
                    body: body.clone(),
                },
                _ => made_slots
                    .next()
                    .expect("one made slot per known recipe slot"),
            })
            .collect();
        let header = Header::from_slots(self.suite, slots);
        let payload = e2eb::hazmat::chunked::encrypt_to_vec(
            self.suite,
            &self.file_key,
            header.as_bytes(),
            &mut Entropy::fixed(self.payload_salt.to_vec()),
            plaintext,
            e2eb::hazmat::chunked::Options::new(Threads::new(1), backend),
        )?;
        let backup = [header.as_bytes(), &payload].concat();
        let intermediates = self.intermediates(&header)?;
        let inputs = EncryptionInputs {
            suite: self.suite.name().into(),
            file_key: hex::encode(self.file_key),
            slots: self.slots.iter().map(SlotRecipe::inputs).collect(),
            payload_salt: hex::encode(self.payload_salt),
        };
        Ok(Built {
            backup,
            header,
            plaintext: plaintext.to_vec(),
            inputs,
            intermediates,
        })
    }

    fn intermediates(&self, header: &Header) -> e2eb::Result<Intermediates> {
        let mut slots = Vec::new();
        for (recipe, slot) in self.slots.iter().zip(header.slots()) {
            let mut values = SlotIntermediates::default();
            if let (
                Some(secret),
                KeySlot::RecoveryKey { sealed, .. }
                | KeySlot::Password { sealed, .. }
                | KeySlot::Vault { sealed, .. },
            ) = (recipe.secret(), slot)
            {
                let kek = slot.derive_kek(&secret)?.expect("the recipe's own secret");
                let schedule = slot.key_schedule(self.suite, &kek);
                values = SlotIntermediates {
                    kek: Some(hex::encode(kek.as_slice())),
                    wrap_key: Some(hex::encode(schedule.wrap_key.as_slice())),
                    wrap_nonce: Some(hex::encode(schedule.wrap_nonce)),
                    key_check: Some(hex::encode(schedule.key_check)),
                    wrapped_key: Some(hex::encode(sealed.wrapped)),
                };
            }
            slots.push(values);
        }
        let schedule = PayloadSchedule::derive(
            self.suite,
            &self.file_key,
            &self.payload_salt,
            header.as_bytes(),
        )?;
        Ok(Intermediates {
            slots,
            header: hex::encode(header.as_bytes()),
            aead_key: hex::encode(schedule.aead_key.as_slice()),
            base_nonce: hex::encode(schedule.base_nonce),
            commitment: hex::encode(schedule.commitment),
        })
    }

    /// Encrypts a message of `len` bytes chosen so that every chunk's ciphertext body is zero
    /// (the message is the keystream), as Wycheproof does for long messages: the backup then
    /// compresses to almost nothing.
    pub fn build_zero_body(&self, len: usize) -> e2eb::Result<Built> {
        let zeros = self.build(&vec![0u8; len])?;
        let start = zeros.header.len() + PREFIX_LEN;
        let keystream: Vec<u8> = zeros.backup[start..]
            .chunks(SEALED_CHUNK_LEN)
            .flat_map(|chunk| chunk[..chunk.len() - 16].iter().copied())
            .collect();
        debug_assert_eq!(keystream.len(), len);
        let built = self.build(&keystream)?;
        debug_assert!(
            built.backup[start..]
                .chunks(SEALED_CHUNK_LEN)
                .all(|c| c[..c.len() - 16].iter().all(|&b| b == 0))
        );
        Ok(built)
    }
}

/// Offset of chunk `index` in a backup with this header.
pub fn chunk_start(header: &Header, index: usize) -> usize {
    header.len() + PREFIX_LEN + index * SEALED_CHUNK_LEN
}

/// Number of chunks of a `len`-byte message.
pub fn chunk_count(len: usize) -> usize {
    len / CHUNK_LEN + 1
}
