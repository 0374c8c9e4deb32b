//! The temporary files an output is written into before it is released: one beside OUT that is
//! renamed onto it once complete, and a private spool for a stream that may only receive data
//! once the whole input has authenticated.
//!
//! On Linux the file has no name at all (`O_TMPFILE`) until it is complete, so a killed run
//! leaves nothing. Elsewhere (and on Linux where the file system cannot make unnamed files, or
//! when `E2EB_PORTABLE_OUTPUT=1` forces the portable path) it is a hidden, recognisable
//! `.NAME.e2eb-tmp-XXXXXXXX` file. A run holds an exclusive lock on its temporary file while it
//! lives, so the next run into the same directory can tell a dead run's leftover (which it
//! removes) from a live run's file (which it leaves alone).

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempPath};

use crate::interrupt;

/// Set to `1`, forces the portable named-temporary-file path where the platform has a better
/// one, so that the path other systems take is built and tested on Linux too.
#[cfg(target_os = "linux")]
const FORCE_PORTABLE_ENV: &str = "E2EB_PORTABLE_OUTPUT";

/// What every temporary file's name contains, so that a leftover says what it was.
const MARKER: &str = ".e2eb-tmp-";

/// Longest file name that still gets its own name in the temporary file's; longer ones would
/// push the temporary name past the file system's limit.
const LONGEST_NAME_KEPT: usize = 200;

#[cfg(target_os = "linux")]
fn portable_forced() -> bool {
    std::env::var_os(FORCE_PORTABLE_ENV).is_some_and(|value| value == "1")
}

/// The directory `path` is in (`.` for a bare name).
pub fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A file being written that is not yet visible under its final name.
#[derive(Debug)]
pub enum Temporary {
    /// A file without a name (Linux `O_TMPFILE`): if the process dies, even by SIGKILL, the
    /// kernel frees it and nothing is left behind.
    #[cfg(target_os = "linux")]
    Unnamed(unnamed::UnnamedFile),
    /// A hidden `.NAME.e2eb-tmp-XXXXXXXX` file beside the final path; removed on failure and
    /// on SIGINT/SIGTERM/SIGHUP; after a SIGKILL, by the next run into its directory.
    Named(NamedTemporary),
}

impl Temporary {
    /// A new temporary file in `path`'s directory (so the final rename stays on one file
    /// system), with permission bits `mode` where the platform has them.
    pub fn create_beside(path: &Path, mode: u32) -> io::Result<Temporary> {
        remove_stale_in(directory_of(path));
        #[cfg(target_os = "linux")]
        if !portable_forced()
            && let Ok(file) = unnamed::UnnamedFile::create(directory_of(path), mode)
        {
            return Ok(Temporary::Unnamed(file));
        }
        NamedTemporary::create(directory_of(path), path.file_name(), mode).map(Temporary::Named)
    }

    pub fn file(&mut self) -> &mut File {
        match self {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(unnamed) => unnamed.file(),
            Temporary::Named(named) => named.file(),
        }
    }

    /// Gives the complete file the name `path`: with `replace`, over whatever file is there;
    /// without, only if `path` does not exist (an `AlreadyExists` error otherwise).
    pub fn persist(self, path: &Path, replace: bool) -> io::Result<()> {
        match self {
            #[cfg(target_os = "linux")]
            Temporary::Unnamed(unnamed) => unnamed.persist(path, replace),
            Temporary::Named(named) => named.persist(path, replace),
        }
    }
}

/// A private file for data held back from a stream until it may be released: mode 0600, in the
/// system's temporary directory, and without a name from the moment it is created (or the
/// microseconds after, where unnamed files are not available).
pub fn spool(mode: u32) -> io::Result<File> {
    let directory = std::env::temp_dir();
    remove_stale_in(&directory);
    #[cfg(target_os = "linux")]
    if !portable_forced()
        && let Ok(file) = unnamed::UnnamedFile::create(&directory, mode)
    {
        return Ok(file.into_file());
    }
    NamedTemporary::create(&directory, Some(OsStr::new("spool")), mode)?.into_unnamed()
}

/// A random suffix for a temporary name. Not a secret: creating the file with `create_new`
/// (and retrying) is what keeps it from clobbering another.
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    let mut bits = hasher.finish();
    (0..8)
        .map(|_| {
            let letter = ALPHABET[(bits % ALPHABET.len() as u64) as usize];
            bits /= ALPHABET.len() as u64;
            char::from(letter)
        })
        .collect()
}

/// `.NAME.e2eb-tmp-XXXXXXXX`, or `.e2eb-tmp-XXXXXXXX` where NAME is missing or too long.
fn temporary_name(name: Option<&OsStr>) -> OsString {
    let mut temporary = OsString::new();
    if let Some(name) = name.filter(|name| name.len() <= LONGEST_NAME_KEPT) {
        temporary.push(".");
        temporary.push(name);
    }
    temporary.push(MARKER);
    temporary.push(random_suffix());
    temporary
}

/// How many names are tried before giving up; a clash needs the same random suffix.
const NAME_ATTEMPTS: usize = 64;

/// A hidden temporary file, locked while this process lives, registered for removal on
/// interruption and removed when dropped unless persisted.
#[derive(Debug)]
pub struct NamedTemporary {
    // Field order is drop order: the file goes, then the lock, then the registration.
    named: NamedTempFile,
    #[cfg(unix)]
    _lock: nix::fcntl::Flock<File>,
    _registration: InterruptRegistration,
}

impl NamedTemporary {
    fn create(directory: &Path, name: Option<&OsStr>, mode: u32) -> io::Result<NamedTemporary> {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        for _ in 0..NAME_ATTEMPTS {
            let path = directory.join(temporary_name(name));
            let file = match interrupt::create_removable(&path, || options.open(&path)) {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error),
            };
            let registration = InterruptRegistration(path.clone());
            let temp_path = TempPath::try_from_path(&path).inspect_err(|_| {
                let _ = fs::remove_file(&path);
            })?;
            // From here on, dropping `named` removes the file.
            let named = NamedTempFile::from_parts(file, temp_path);
            #[cfg(unix)]
            let lock = lock_exclusive(named.as_file().try_clone()?)?;
            return Ok(NamedTemporary {
                named,
                #[cfg(unix)]
                _lock: lock,
                _registration: registration,
            });
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary file name",
        ))
    }

    fn file(&mut self) -> &mut File {
        self.named.as_file_mut()
    }

    fn persist(self, path: &Path, replace: bool) -> io::Result<()> {
        let NamedTemporary {
            named,
            #[cfg(unix)]
                _lock: lock,
            _registration: registration,
        } = self;
        // On error the PersistError still owns the temporary file, and removes it when dropped.
        let persisted = if replace {
            named.persist(path)
        } else {
            named.persist_noclobber(path)
        };
        #[cfg(unix)]
        drop(lock);
        drop(registration);
        persisted.map(drop).map_err(|error| error.error)
    }

    /// Removes the name right away, keeping the open file.
    fn into_unnamed(self) -> io::Result<File> {
        let NamedTemporary {
            named,
            #[cfg(unix)]
                _lock: lock,
            _registration: registration,
        } = self;
        let (file, path) = named.into_parts();
        path.close()?;
        #[cfg(unix)]
        drop(lock);
        drop(registration);
        Ok(file)
    }
}

/// Keeps a path in the interrupt handler's removal list while it lives.
#[derive(Debug)]
struct InterruptRegistration(PathBuf);

impl Drop for InterruptRegistration {
    fn drop(&mut self) {
        interrupt::forget(&self.0);
    }
}

#[cfg(unix)]
fn lock_exclusive(file: File) -> io::Result<nix::fcntl::Flock<File>> {
    // The lock belongs to the open file description, which `file` shares with the temporary
    // file's own handle: it is held until both are closed, and dies with the process.
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, errno)| io::Error::from(errno))
}

/// Removes temporary files that runs which died (SIGKILL, power loss) left in `directory`.
/// Best effort: a file that cannot be examined or removed stays. A named temporary file is
/// locked a few microseconds after it is created; a concurrent run scanning in exactly that
/// instant removes it, and the run that made it then fails to rename it into place (an error,
/// never a damaged OUT). Unnamed files are locked before they have a name, so never.
pub fn remove_stale_in(directory: &Path) {
    let Ok(entries) = fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_ours = name
            .to_str()
            .is_some_and(|name| name.starts_with('.') && name.contains(MARKER));
        if is_ours && is_stale(&entry.path()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A temporary file of ours that no live process holds: a plain file owned by this user (never
/// a link), whose lock nobody holds.
#[cfg(unix)]
fn is_stale(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(metadata) = fs::symlink_metadata(path) else {
        return false;
    };
    if !metadata.is_file() || metadata.uid() != nix::unistd::geteuid().as_raw() {
        return false;
    }
    let Ok(file) = OpenOptions::new().read(true).write(true).open(path) else {
        return false;
    };
    // The same file that was examined, not one swapped in since.
    let same = file
        .metadata()
        .is_ok_and(|opened| opened.dev() == metadata.dev() && opened.ino() == metadata.ino());
    same && lock_exclusive(file).is_ok()
}

/// Without locks that die with their process, only age tells: a day-old temporary file belongs
/// to no run that is still writing.
#[cfg(not(unix))]
fn is_stale(path: &Path) -> bool {
    const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
    fs::symlink_metadata(path).is_ok_and(|metadata| {
        metadata.is_file()
            && metadata
                .modified()
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > STALE_AFTER)
    })
}

#[cfg(target_os = "linux")]
mod unnamed {
    use std::fs::{self, File};
    use std::io;
    use std::os::fd::AsRawFd;
    use std::path::{Path, PathBuf};

    use nix::fcntl::{AT_FDCWD, AtFlags, OFlag, open};
    use nix::sys::stat::Mode;

    use super::{NAME_ATTEMPTS, lock_exclusive, temporary_name};

    /// A file without a name in a directory, named only by [`UnnamedFile::persist`].
    #[derive(Debug)]
    pub struct UnnamedFile {
        file: File,
        _lock: nix::fcntl::Flock<File>,
    }

    impl UnnamedFile {
        /// Fails where the kernel or file system cannot make unnamed files, or where there is
        /// no `/proc/self/fd` to name it through later: the caller then takes a named one.
        pub fn create(directory: &Path, mode: u32) -> io::Result<UnnamedFile> {
            let fd = open(
                directory,
                OFlag::O_TMPFILE | OFlag::O_RDWR | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(mode),
            )?;
            let file = File::from(fd);
            fs::symlink_metadata(handle(&file))?;
            // Locked before it ever has a name, so that no other run takes it for a leftover.
            let lock = lock_exclusive(file.try_clone()?)?;
            Ok(UnnamedFile { file, _lock: lock })
        }

        pub fn file(&mut self) -> &mut File {
            &mut self.file
        }

        pub fn into_file(self) -> File {
            self.file
        }

        /// Without `replace`, links the file as `path`, which `linkat` refuses to do over an
        /// existing file. With `replace`, links it under a hidden name and renames that over
        /// `path`: no call links over an existing name. A SIGKILL between the two leaves the
        /// complete file under the hidden name, which the next run removes.
        pub fn persist(self, path: &Path, replace: bool) -> io::Result<()> {
            let handle = handle(&self.file);
            let link = |name: &Path| {
                nix::unistd::linkat(
                    AT_FDCWD,
                    &handle,
                    AT_FDCWD,
                    name,
                    AtFlags::AT_SYMLINK_FOLLOW,
                )
                .map_err(io::Error::from)
            };
            if !replace {
                return link(path);
            }
            let directory = super::directory_of(path);
            for _ in 0..NAME_ATTEMPTS {
                let hidden = directory.join(temporary_name(path.file_name()));
                match link(&hidden) {
                    Ok(()) => {
                        return fs::rename(&hidden, path).inspect_err(|_| {
                            let _ = fs::remove_file(&hidden);
                        });
                    }
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                    Err(error) => return Err(error),
                }
            }
            Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "no free temporary file name",
            ))
        }
    }

    fn handle(file: &File) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_hidden_and_say_what_they_were() {
        let name = temporary_name(Some(OsStr::new("msgstore.db")));
        let name = name.to_str().unwrap();
        assert!(name.starts_with(".msgstore.db.e2eb-tmp-"), "{name}");
        assert_eq!(name.len(), ".msgstore.db.e2eb-tmp-".len() + 8);
        // A name that would push the temporary one past the file system's limit is left out.
        let long = "x".repeat(LONGEST_NAME_KEPT + 1);
        let name = temporary_name(Some(OsStr::new(&long)));
        assert!(name.to_str().unwrap().starts_with(".e2eb-tmp-"));
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_stale_only_once_its_run_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let temporary = NamedTemporary::create(dir.path(), Some(OsStr::new("out")), 0o600).unwrap();
        let path = temporary.named.path().to_path_buf();
        remove_stale_in(dir.path());
        assert!(path.exists(), "a live run's file was removed");
        let (file, temp_path) = temporary.named.into_parts();
        // Keep the file on disk, as a killed run does, and let go of it.
        let kept = temp_path.keep().unwrap();
        drop(file);
        drop(temporary._lock);
        remove_stale_in(dir.path());
        assert!(!kept.exists(), "a dead run's file stayed");
    }
}
