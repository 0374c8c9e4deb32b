//! The server setup file: OPAQUE's OPRF seed and the server's key pair, what an HSM would hold
//! (VAULT.md, "Server setup"). It lives in its own file, readable by its owner alone, never in
//! the database: a copy of the database without it yields no offline guess at any password.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use opaque_ke::ServerSetup;
use zeroize::Zeroizing;

use crate::protocol::{Suite, vault_id};

/// The first bytes of a setup file.
const MAGIC: &[u8] = b"e2eb-vault setup v1\n";

/// A loaded server setup.
pub struct Setup {
    inner: ServerSetup<Suite>,
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("vault_id", &hex::encode(self.vault_id()))
            .finish_non_exhaustive()
    }
}

/// Why a setup file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The file exists already (init never overwrites a setup: that would orphan every account).
    #[error("{0}: a setup file exists already; remove it only if its vault is to be abandoned")]
    Exists(PathBuf),
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// Group or others may read or write it.
    #[error("{path}: mode {mode:04o} lets group or others at the vault's keys; chmod 600 it")]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Not a setup file of this version, or damaged.
    #[error("{0}: not an e2eb-vault v1 setup file, or damaged")]
    Malformed(PathBuf),
    /// The system's random source failed.
    #[error("the system random source failed")]
    Random,
}

impl Setup {
    /// A new setup from the system's random source.
    pub fn generate() -> Setup {
        Setup {
            inner: ServerSetup::new(&mut rand_core::OsRng),
        }
    }

    /// Writes a new setup file with mode 0600; refuses to replace an existing one.
    pub fn write_new(&self, path: &Path) -> Result<(), SetupError> {
        let io = |source| SetupError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    SetupError::Exists(path.to_owned())
                } else {
                    io(e)
                }
            })?;
        let body = Zeroizing::new(self.inner.serialize().to_vec());
        file.write_all(MAGIC).map_err(io)?;
        file.write_all(&body).map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(())
    }

    /// Reads a setup file, refusing one that group or others can read or write.
    pub fn load(path: &Path) -> Result<Setup, SetupError> {
        let io = |source| SetupError::Io {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mode = file.metadata().map_err(io)?.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SetupError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
        let mut bytes = Zeroizing::new(Vec::new());
        file.take(4096).read_to_end(&mut bytes).map_err(io)?;
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| SetupError::Malformed(path.to_owned()))?;
        let inner = ServerSetup::<Suite>::deserialize(body)
            .map_err(|_| SetupError::Malformed(path.to_owned()))?;
        Ok(Setup { inner })
    }

    /// The OPAQUE server setup.
    pub fn opaque(&self) -> &ServerSetup<Suite> {
        &self.inner
    }

    /// The server's public key bytes.
    pub fn public_key(&self) -> Vec<u8> {
        self.inner.keypair().public().serialize().to_vec()
    }

    /// [`vault_id`] of [`Setup::public_key`].
    pub fn vault_id(&self) -> [u8; 32] {
        vault_id(&self.public_key())
    }

    /// The secret bytes of the setup file (seed and private key, as serialised): for tests that
    /// search storage for them.
    pub fn secret_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.inner.serialize().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn round_trips_and_refuses_open_modes_and_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("setup");
        let setup = Setup::generate();
        setup.write_new(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(Setup::load(&path).unwrap().vault_id(), setup.vault_id());
        assert!(matches!(setup.write_new(&path), Err(SetupError::Exists(_))));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            Setup::load(&path),
            Err(SetupError::Permissions { mode: 0o644, .. })
        ));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(40);
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(Setup::load(&path), Err(SetupError::Malformed(_))));
    }
}
