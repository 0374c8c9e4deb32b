//! The output: a regular file written under a temporary name and renamed into place only once
//! complete, or a stream (stdout, a pipe, a device) that data flows straight into.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Failure, LabelledIoError};
use crate::input::{FileIdentity, is_standard_stream};
use crate::interrupt;

/// What is written decides who may read the file and where it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// Decrypted data or a key: readable by the owner only (mode 0600).
    Private,
    /// A backup: the umask decides its mode, and it never goes to a terminal, where it would
    /// be noise at best and a mangled terminal at worst.
    Ciphertext,
}

impl Contents {
    fn new_file_mode(self) -> u32 {
        match self {
            Contents::Private => 0o600,
            Contents::Ciphertext => 0o666,
        }
    }
}

/// An output checked up front (before any secret is asked for or work done), not yet created.
#[derive(Debug)]
pub struct OutputPlan {
    label: String,
    contents: Contents,
    force: bool,
    target: PlannedTarget,
}

#[derive(Debug)]
enum PlannedTarget {
    Stream(File),
    /// The path the finished file is renamed onto; a symbolic link's target, so the link
    /// survives.
    RegularFile(PathBuf),
}

impl OutputPlan {
    /// Checks that `path` can receive the output: refuses an existing regular file without
    /// `force`, the input file itself, a directory, and a terminal for ciphertext. Streams are
    /// opened now, regular files are only created by [`OutputPlan::open`].
    pub fn new(
        path: &Path,
        force: bool,
        contents: Contents,
        input: Option<FileIdentity>,
    ) -> Result<OutputPlan, Failure> {
        let label = if is_standard_stream(path) {
            "stdout".to_string()
        } else {
            path.display().to_string()
        };
        let plan = |target| OutputPlan {
            label: label.clone(),
            contents,
            force,
            target,
        };
        if is_standard_stream(path) {
            // A duplicate of descriptor 1 as a plain File: std's stdout is line-buffered, which
            // suits text, not megabytes of binary data.
            let stdout = io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map(File::from)
                .map_err(|error| Failure::io("cannot write stdout", &error))?;
            return Ok(plan(PlannedTarget::Stream(check_stream(
                stdout, &label, contents, input,
            )?)));
        }
        match fs::metadata(path) {
            Ok(metadata) if metadata.is_dir() => Err(Failure::new(format!(
                "cannot write {label}: it is a directory"
            ))),
            Ok(metadata) if metadata.is_file() => {
                if input.is_some() && FileIdentity::of_regular_file(&metadata) == input {
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
                    fs::canonicalize(path).map_err(|error| {
                        Failure::io(format!("cannot resolve the link {label}"), &error)
                    })?
                } else {
                    path.to_path_buf()
                };
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
                Ok(plan(PlannedTarget::RegularFile(path.to_path_buf())))
            }
            Err(error) => Err(Failure::io(format!("cannot write {label}"), &error)),
        }
    }

    /// Creates the file to write into (a temporary file beside the final path) or hands over
    /// the stream.
    pub fn open(self) -> Result<Output, Failure> {
        let write_action = format!("cannot write {}", self.label);
        let target = match self.target {
            PlannedTarget::Stream(stream) => OpenTarget::Stream(stream),
            PlannedTarget::RegularFile(path) => {
                let cannot_create =
                    |error: io::Error| Failure::io(format!("cannot create {}", self.label), &error);
                let temporary = match create_unnamed_beside(&path, self.contents) {
                    Ok(file) => Temporary::Unnamed(file),
                    Err(_) => {
                        let named =
                            create_temporary_beside(&path, self.contents).map_err(cannot_create)?;
                        interrupt::remove_on_interrupt(named.path());
                        Temporary::Named(named)
                    }
                };
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

fn check_stream(
    stream: File,
    label: &str,
    contents: Contents,
    input: Option<FileIdentity>,
) -> Result<File, Failure> {
    if contents == Contents::Ciphertext && stream.is_terminal() {
        return Err(Failure::new(format!(
            "refusing to write a backup to a terminal ({label}); use -o FILE or redirect stdout"
        )));
    }
    let metadata = stream
        .metadata()
        .map_err(|error| Failure::io(format!("cannot write {label}"), &error))?;
    if input.is_some() && FileIdentity::of_regular_file(&metadata) == input {
        return Err(Failure::new(format!(
            "{label} is the input file; write the output somewhere else"
        )));
    }
    Ok(stream)
}

/// Longest file name that still gets its own name in the temporary file's; longer ones would
/// push the temporary name past the file system's limit.
const LONGEST_NAME_KEPT: usize = 200;

/// A temporary file in `path`'s directory (so the final rename stays on one file system),
/// named `.NAME.e2eb-tmp-XXXXXX` so that a leftover from a crash says what it was.
fn create_temporary_beside(path: &Path, contents: Contents) -> io::Result<NamedTempFile> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut prefix = OsString::from(".");
    if let Some(name) = path
        .file_name()
        .filter(|name| name.len() <= LONGEST_NAME_KEPT)
    {
        prefix.push(name);
        prefix.push(".");
    }
    prefix.push("e2eb-tmp-");
    tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(6)
        .permissions(Permissions::from_mode(contents.new_file_mode()))
        .tempfile_in(directory)
}

/// An unnamed file in `path`'s directory (`O_TMPFILE`), which [`link_into_place`] names once it
/// is complete. Fails where the kernel or file system does not support unnamed files.
fn create_unnamed_beside(path: &Path, contents: Contents) -> io::Result<File> {
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::Mode;
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mode = Mode::from_bits_truncate(contents.new_file_mode());
    let fd = open(
        directory,
        OFlag::O_TMPFILE | OFlag::O_RDWR | OFlag::O_CLOEXEC,
        mode,
    )
    .map_err(io::Error::from)?;
    Ok(File::from(fd))
}

/// Gives the unnamed `file` the name `path`: without `force`, only if `path` does not exist
/// (`linkat` refuses to replace); with `force`, through a hidden name renamed over `path`.
fn link_into_place(file: &File, path: &Path, force: bool) -> io::Result<()> {
    use nix::fcntl::{AT_FDCWD, AtFlags};
    use std::os::fd::AsRawFd;
    let handle = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    let link = |name: &Path| {
        nix::unistd::linkat(
            AT_FDCWD,
            &handle,
            AT_FDCWD,
            name,
            AtFlags::AT_SYMLINK_FOLLOW,
        )
    };
    if !force {
        return link(path).map_err(io::Error::from);
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // tempfile picks a free hidden name and removes it again; the window between that and the
    // link is harmless, as linkat refuses to replace a file that appeared meanwhile.
    let hidden = tempfile::Builder::new()
        .prefix(".e2eb-tmp-")
        .tempfile_in(directory)?
        .into_temp_path();
    let hidden_path = hidden.to_path_buf();
    hidden.close()?;
    link(&hidden_path).map_err(io::Error::from)?;
    fs::rename(&hidden_path, path).inspect_err(|_| {
        let _ = fs::remove_file(&hidden_path);
    })
}

/// An output being written. Dropping it without [`Output::commit`] deletes the temporary file,
/// so a failed run leaves nothing under OUT's name.
#[derive(Debug)]
pub struct Output {
    label: String,
    write_action: String,
    target: OpenTarget,
}

#[derive(Debug)]
enum OpenTarget {
    Stream(File),
    RegularFile {
        temporary: Temporary,
        path: PathBuf,
        force: bool,
    },
}

/// Where a regular-file output is written until it is complete.
#[derive(Debug)]
enum Temporary {
    /// A file without a name (Linux `O_TMPFILE`): if the process is killed, even by SIGKILL,
    /// the kernel frees it and nothing is left behind.
    Unnamed(File),
    /// A hidden `.NAME.e2eb-tmp-XXXXXX` file, where the file system cannot make unnamed ones;
    /// removed on failure and on SIGINT/SIGTERM, but a SIGKILL leaves it (never under OUT).
    Named(NamedTempFile),
}

impl Temporary {
    fn file(&mut self) -> &mut File {
        match self {
            Temporary::Unnamed(file) => file,
            Temporary::Named(named) => named.as_file_mut(),
        }
    }
}

impl Output {
    /// Makes the output final: a regular file is synced to disk, then renamed onto its path
    /// (without `--force`, never over a file that appeared in the meantime).
    pub fn commit(self) -> Result<(), Failure> {
        match self.target {
            OpenTarget::Stream(mut stream) => stream
                .flush()
                .map_err(|error| Failure::io(&self.write_action, &error)),
            OpenTarget::RegularFile {
                mut temporary,
                path,
                force,
            } => {
                temporary
                    .file()
                    .sync_all()
                    .map_err(|error| Failure::io(&self.write_action, &error))?;
                let persisted = match temporary {
                    Temporary::Unnamed(file) => link_into_place(&file, &path, force),
                    Temporary::Named(named) => {
                        let temporary_path = named.path().to_path_buf();
                        let persisted = if force {
                            named.persist(&path)
                        } else {
                            named.persist_noclobber(&path)
                        };
                        interrupt::forget(&temporary_path);
                        // On error the PersistError still owns the temporary file, and deletes
                        // it when dropped here.
                        persisted
                            .map(drop)
                            .map_err(|persist_error| persist_error.error)
                    }
                };
                if let Err(error) = persisted {
                    let error = &error;
                    return Err(if error.kind() == io::ErrorKind::AlreadyExists {
                        Failure::new(format!(
                            "{} appeared while e2eb was writing it; it was left as it is \
                             (use --force to replace it)",
                            self.label
                        ))
                    } else {
                        Failure::io(
                            format!("cannot move the output into place as {}", self.label),
                            error,
                        )
                    });
                }
                sync_directory_of(&path);
                Ok(())
            }
        }
    }
}

/// Makes the rename itself durable. Best effort: some file systems refuse to sync a
/// directory, and the data is in place either way.
fn sync_directory_of(path: &Path) {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(directory) = File::open(directory) {
        let _ = directory.sync_all();
    }
}

impl Write for Output {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let file = match &mut self.target {
            OpenTarget::Stream(stream) => stream,
            OpenTarget::RegularFile { temporary, .. } => temporary.file(),
        };
        file.write(data)
            .map_err(|error| LabelledIoError::wrap(&self.write_action, error))
    }

    fn write_vectored(&mut self, data: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let file = match &mut self.target {
            OpenTarget::Stream(stream) => stream,
            OpenTarget::RegularFile { temporary, .. } => temporary.file(),
        };
        file.write_vectored(data)
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
