//! The output: a regular file written under a temporary name and renamed into place only once
//! complete, or a stream (stdout, a pipe, a device) that data flows into: straight away, or,
//! for inputs that authenticate only at their end, only once the whole input has authenticated.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Failure, LabelledIoError};
use crate::input::{FileIdentity, is_standard_stream};
use crate::interrupt;
use crate::temporary::{self, Temporary, directory_of};

/// What is written decides who may read the file and where it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// Decrypted data or a key: readable by the owner only (mode 0600).
    Private,
    /// A backup: the umask decides its mode, and it never goes to a terminal, where it would
    /// be noise at best and a mangled terminal at worst.
    Ciphertext,
    /// A report anyone may read (a benchmark run): the umask decides its mode, and a terminal
    /// is as good a place for it as a file.
    Public,
}

impl Contents {
    fn new_file_mode(self) -> u32 {
        match self {
            Contents::Private => 0o600,
            Contents::Ciphertext | Contents::Public => 0o666,
        }
    }
}

/// When data written to a stream may leave the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// As it is written: each piece the caller writes has already been authenticated (an e2eb
    /// backup's chunks), or needs no authentication (a backup being made).
    AsWritten,
    /// Only at [`Output::commit`], i.e. once the caller has verified everything it wrote: the
    /// data is held in a private unnamed temporary file until then (a crypt15 backup, which
    /// authenticates only at its very end).
    OnCommit,
}

/// An output checked up front (before any secret is asked for or work done), not yet created.
#[derive(Debug)]
pub struct OutputPlan {
    label: String,
    contents: Contents,
    force: bool,
    release: Release,
    target: PlannedTarget,
}

#[derive(Debug)]
enum PlannedTarget {
    Stream(File),
    /// The path the finished file is renamed onto; a symbolic link's target (in the link's own
    /// directory), so the link survives.
    RegularFile(PathBuf),
}

impl OutputPlan {
    /// Checks that `path` can receive the output, before any secret is asked for or work done:
    /// refuses an existing regular file without `force`, the input file itself, a directory, a
    /// directory that is missing or not writable, a link that would replace a file outside
    /// OUT's directory, a closed stdout, and a terminal for ciphertext. Streams are opened now,
    /// regular files are only created by [`OutputPlan::open`].
    pub fn new(
        path: &Path,
        force: bool,
        contents: Contents,
        input: Option<FileIdentity>,
    ) -> Result<OutputPlan, Failure> {
        let input = input.as_ref();
        let label = if is_standard_stream(path) {
            "stdout".to_string()
        } else {
            path.display().to_string()
        };
        let plan = |target| OutputPlan {
            label: label.clone(),
            contents,
            force,
            release: Release::AsWritten,
            target,
        };
        if is_standard_stream(path) {
            // A duplicate of descriptor 1 as a plain File: std's stdout is line-buffered, which
            // suits text, not megabytes of binary data.
            let stdout = crate::input::duplicate_standard_stream(&io::stdout())
                .map_err(|error| Failure::io("cannot write stdout", &error))?;
            if stdout_was_closed(&stdout) {
                return Err(Failure::new(
                    "stdout is closed (or is /dev/null opened read-write, which is how a \
                     closed stdout looks): there is nowhere to write the output; give -o FILE, \
                     or -o /dev/null to discard it",
                ));
            }
            return Ok(plan(PlannedTarget::Stream(check_stream(
                stdout, &label, contents, input,
            )?)));
        }
        if names_a_directory(path) {
            return Err(Failure::new(format!(
                "cannot write {label}: the name ends in a directory; give a file name"
            )));
        }
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => Err(Failure::new(format!(
                "cannot write {label}: it is a directory"
            ))),
            Ok(metadata) if metadata.is_file() => {
                if input.is_some()
                    && FileIdentity::of_regular_file(&metadata, Some(path)).as_ref() == input
                {
                    return Err(Failure::new(format!(
                        "{label} is the input file; write the output somewhere else"
                    )));
                }
                if !force {
                    return Err(Failure::new(format!(
                        "{label} already exists; use --force to replace it"
                    )));
                }
                let target = if is_symlink(path) {
                    link_target_beside(path, &label)?
                } else {
                    path.to_path_buf()
                };
                check_directory_writable(&target, &label, contents)?;
                Ok(plan(PlannedTarget::RegularFile(target)))
            }
            Ok(_) => {
                let stream = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|error| Failure::io(format!("cannot open {label}"), &error))?;
                Ok(plan(PlannedTarget::Stream(check_stream(
                    stream, &label, contents, input,
                )?)))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if is_symlink(path) {
                    return Err(Failure::new(format!(
                        "{label} is a symbolic link to a missing file; remove it or write elsewhere"
                    )));
                }
                check_directory_writable(path, &label, contents)?;
                Ok(plan(PlannedTarget::RegularFile(path.to_path_buf())))
            }
            Err(error) => Err(Failure::io(format!("cannot write {label}"), &error)),
        }
    }

    /// Sets when data for a stream may leave the process (regular files are renamed into place
    /// only once complete either way).
    pub fn release(mut self, release: Release) -> OutputPlan {
        self.release = release;
        self
    }

    /// Creates the file to write into (a temporary file beside the final path, or a private
    /// spool for a stream that must wait) or hands over the stream.
    pub fn open(self) -> Result<Output, Failure> {
        let write_action = format!("cannot write {}", self.label);
        let target = match self.target {
            PlannedTarget::Stream(stream) if self.release == Release::OnCommit => {
                let spool =
                    temporary::spool(Contents::Private.new_file_mode()).map_err(|error| {
                        Failure::io(
                            format!(
                                "cannot hold the output back until it is verified: cannot create \
                             a file in {} (set TMPDIR to a directory with room, or write to a \
                             file with -o FILE)",
                                std::env::temp_dir().display()
                            ),
                            &error,
                        )
                    })?;
                OpenTarget::HeldBack { stream, spool }
            }
            PlannedTarget::Stream(stream) => OpenTarget::Stream {
                stream,
                started: false,
            },
            PlannedTarget::RegularFile(path) => {
                let temporary = Temporary::create_beside(&path, self.contents.new_file_mode())
                    .map_err(|error| cannot_create_in(&self.label, directory_of(&path), &error))?;
                OpenTarget::RegularFile {
                    temporary,
                    path,
                    force: self.force,
                }
            }
        };
        Ok(Output {
            label: self.label,
            write_action,
            target,
        })
    }
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink())
}

/// A path that can only name a directory: `dir/`, `dir/.`, `..`.
fn names_a_directory(path: &Path) -> bool {
    let text = path.as_os_str().to_string_lossy();
    text.ends_with(std::path::MAIN_SEPARATOR)
        || text.ends_with('/')
        || matches!(
            path.components().next_back(),
            Some(std::path::Component::CurDir | std::path::Component::ParentDir)
        )
}

/// The file `link` points to, when it is in the link's own directory. `--force` replaces a file
/// through a link only there: a link must not make e2eb replace a file elsewhere (another
/// user's directory, a system file) that OUT's name does not show.
fn link_target_beside(link: &Path, label: &str) -> Result<PathBuf, Failure> {
    let target = fs::canonicalize(link)
        .map_err(|error| Failure::io(format!("cannot resolve the link {label}"), &error))?;
    let link_directory = fs::canonicalize(directory_of(link))
        .map_err(|error| Failure::io(format!("cannot resolve the link {label}"), &error))?;
    if target.parent() != Some(link_directory.as_path()) {
        return Err(Failure::new(format!(
            "{label} is a symbolic link to {}, outside its directory; --force does not replace \
             a file through such a link: name that file itself, or remove the link",
            target.display()
        )));
    }
    Ok(target)
}

/// Checks, before any work, that a file can be created in `path`'s directory: by creating (and
/// dropping) the kind of temporary file the output will use, so the answer is the real one.
fn check_directory_writable(path: &Path, label: &str, contents: Contents) -> Result<(), Failure> {
    let directory = directory_of(path);
    match fs::metadata(directory) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => {
            return Err(Failure::new(format!(
                "cannot write {label}: {} is not a directory",
                directory.display()
            )));
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(Failure::new(format!(
                "cannot write {label}: the directory {} does not exist",
                directory.display()
            )));
        }
        Err(error) => {
            return Err(Failure::io(
                format!("cannot write {label}: {}", directory.display()),
                &error,
            ));
        }
    }
    Temporary::create_beside(path, contents.new_file_mode())
        .map(drop)
        .map_err(|error| cannot_create_in(label, directory, &error))
}

/// Errors name OUT and its directory, never the temporary file (a name the user never gave).
fn cannot_create_in(label: &str, directory: &Path, error: &io::Error) -> Failure {
    Failure::io(
        format!(
            "cannot write {label}: cannot create a file in {}",
            directory.display()
        ),
        error,
    )
}

fn check_stream(
    stream: File,
    label: &str,
    contents: Contents,
    input: Option<&FileIdentity>,
) -> Result<File, Failure> {
    if contents == Contents::Ciphertext && stream.is_terminal() {
        return Err(Failure::new(format!(
            "refusing to write a backup to a terminal ({label}); use -o FILE or redirect stdout"
        )));
    }
    let metadata = stream
        .metadata()
        .map_err(|error| Failure::io(format!("cannot write {label}"), &error))?;
    if input.is_some() && FileIdentity::of_regular_file(&metadata, None).as_ref() == input {
        return Err(Failure::new(format!(
            "{label} is the input file; write the output somewhere else"
        )));
    }
    Ok(stream)
}

/// Whether descriptor 1 was closed when the process started (`>&-`). The Rust runtime then
/// opens /dev/null read-write in its place, so writes would vanish and the run would report
/// success; a shell's `>/dev/null` opens it write-only, which stays allowed.
#[cfg(unix)]
fn stdout_was_closed(stdout: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(flags) = nix::fcntl::fcntl(stdout, nix::fcntl::FcntlArg::F_GETFL) else {
        return true;
    };
    let read_write = nix::fcntl::OFlag::from_bits_truncate(flags) & nix::fcntl::OFlag::O_ACCMODE
        == nix::fcntl::OFlag::O_RDWR;
    let is_null = match (stdout.metadata(), fs::metadata("/dev/null")) {
        (Ok(stdout), Ok(null)) => stdout.rdev() == null.rdev() && !stdout.is_file(),
        _ => false,
    };
    read_write && is_null
}

#[cfg(not(unix))]
fn stdout_was_closed(_stdout: &File) -> bool {
    false
}

/// An output being written. Dropping it without [`Output::commit`] deletes the temporary file,
/// so a failed run leaves nothing under OUT's name (and releases nothing held back).
#[derive(Debug)]
pub struct Output {
    label: String,
    write_action: String,
    target: OpenTarget,
}

#[derive(Debug)]
enum OpenTarget {
    Stream {
        stream: File,
        started: bool,
    },
    /// A stream that receives the data only once it is verified; until then it is in `spool`.
    HeldBack {
        stream: File,
        spool: File,
    },
    RegularFile {
        temporary: Temporary,
        path: PathBuf,
        force: bool,
    },
}

impl Output {
    /// Makes the output final: a regular file is synced to disk, then renamed onto its path
    /// (without `--force`, never over a file that appeared in the meantime); data held back for
    /// a stream is released into it.
    pub fn commit(self) -> Result<(), Failure> {
        let write_failed = |error: io::Error| Failure::io(&self.write_action, &error);
        match self.target {
            OpenTarget::Stream { mut stream, .. } => {
                interrupt::committing(&self.label, || stream.flush()).map_err(write_failed)
            }
            OpenTarget::HeldBack {
                mut stream,
                mut spool,
            } => {
                spool
                    .rewind()
                    .map_err(|error| Failure::io("cannot read back the verified output", &error))?;
                interrupt::releasing_to(&self.label);
                io::copy(&mut spool, &mut stream).map_err(|error| {
                    // io::copy's errors are the writer's, except a failed read of the spool.
                    Failure::io(&self.write_action, &error)
                })?;
                interrupt::committing(&self.label, || stream.flush()).map_err(write_failed)
            }
            OpenTarget::RegularFile {
                mut temporary,
                path,
                force,
            } => {
                // Synced before it gets its name: an interruption until then leaves nothing.
                temporary.file().sync_all().map_err(write_failed)?;
                interrupt::committing(&self.label, || {
                    temporary.persist(&path, force)?;
                    sync_directory_of(&path);
                    Ok(())
                })
                .map_err(|error: io::Error| {
                    if error.kind() == io::ErrorKind::AlreadyExists {
                        Failure::new(format!(
                            "{} appeared while e2eb was writing it; it was left as it is \
                             (use --force to replace it)",
                            self.label
                        ))
                    } else {
                        Failure::io(
                            format!("cannot move the output into place as {}", self.label),
                            &error,
                        )
                    }
                })
            }
        }
    }
}

/// The file the data goes into now; the first write to a stream is noted, so that an
/// interruption then says the stream is incomplete.
fn destination<'a>(target: &'a mut OpenTarget, label: &str) -> &'a mut File {
    match target {
        OpenTarget::Stream { stream, started } => {
            if !*started {
                *started = true;
                interrupt::releasing_to(label);
            }
            stream
        }
        OpenTarget::HeldBack { spool, .. } => spool,
        OpenTarget::RegularFile { temporary, .. } => temporary.file(),
    }
}

/// Makes the rename itself durable. Best effort: some file systems refuse to sync a
/// directory, and the data is in place either way.
fn sync_directory_of(path: &Path) {
    if let Ok(directory) = File::open(directory_of(path)) {
        let _ = directory.sync_all();
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        destination(&mut self.target, &self.label)
            .write(data)
            .map_err(|error| LabelledIoError::wrap(&self.write_action, error))
    }

    fn write_vectored(&mut self, data: &[io::IoSlice<'_>]) -> io::Result<usize> {
        destination(&mut self.target, &self.label)
            .write_vectored(data)
            .map_err(|error| LabelledIoError::wrap(&self.write_action, error))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Prints `report` to stdout, as pretty JSON with `json`, else through `write_text`.
pub fn print_report<T: serde::Serialize>(
    report: &T,
    json: bool,
    write_text: impl FnOnce(&mut io::StdoutLock<'static>, &T) -> io::Result<()>,
) -> Result<(), Failure> {
    let mut stdout = io::stdout().lock();
    let printed = if json {
        serde_json::to_writer_pretty(&mut stdout, report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(stdout))
    } else {
        write_text(&mut stdout, report)
    };
    printed
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::io("cannot write stdout", &error))
}
