//! The input of encrypt, decrypt and inspect: a file or stdin.

use std::fs::{File, Metadata};
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use crate::error::{Failure, LabelledIoError};

/// Names a file so that two paths (or a path and stdin) can be seen to be one: by device and
/// inode on Unix, by canonical path elsewhere (where stdin's file has no path to compare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileIdentity {
    #[cfg(unix)]
    device_and_inode: (u64, u64),
    #[cfg(not(unix))]
    canonical_path: PathBuf,
}

impl FileIdentity {
    /// Only regular files count: two ends of `/dev/null` or of a terminal are not a conflict.
    /// `path` is where `metadata` came from, when it came from a path.
    pub fn of_regular_file(metadata: &Metadata, path: Option<&Path>) -> Option<FileIdentity> {
        if !metadata.is_file() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = path;
            Some(FileIdentity {
                device_and_inode: (metadata.dev(), metadata.ino()),
            })
        }
        #[cfg(not(unix))]
        {
            let canonical_path = std::fs::canonicalize(path?).ok()?;
            Some(FileIdentity { canonical_path })
        }
    }
}

/// A duplicate of stdin's or stdout's descriptor as a plain, unbuffered `File`.
#[cfg(unix)]
pub fn duplicate_standard_stream(stream: &impl std::os::fd::AsFd) -> io::Result<File> {
    stream.as_fd().try_clone_to_owned().map(File::from)
}

/// A duplicate of stdin's or stdout's handle as a plain, unbuffered `File`.
#[cfg(windows)]
pub fn duplicate_standard_stream(stream: &impl std::os::windows::io::AsHandle) -> io::Result<File> {
    stream.as_handle().try_clone_to_owned().map(File::from)
}

/// Whether reading `path` would read this process's stdin: `/dev/stdin`, `/dev/fd/0` and the
/// like, or any other name of the same pipe or file. A secret read from there would consume
/// the data that was meant to follow it.
pub fn reads_stdin(path: &Path) -> bool {
    if is_standard_stream(path) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let by_name = ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"]
            .iter()
            .any(|alias| path == Path::new(alias));
        let same_object = match (
            std::fs::metadata(path),
            duplicate_standard_stream(&io::stdin()),
        ) {
            (Ok(named), Ok(stdin)) => stdin
                .metadata()
                .is_ok_and(|stdin| (named.dev(), named.ino()) == (stdin.dev(), stdin.ino())),
            _ => false,
        };
        by_name || same_object
    }
    #[cfg(not(unix))]
    {
        path == Path::new("CONIN$")
    }
}

/// Whether a command-line path means stdin or stdout.
pub fn is_standard_stream(path: &Path) -> bool {
    path.as_os_str() == "-"
}

#[derive(Debug)]
pub struct Input {
    label: String,
    /// The path given, for a named input.
    path: Option<PathBuf>,
    file: File,
    metadata: Metadata,
    from_stdin: bool,
}

impl Input {
    /// Opens `path`, or stdin when it is `None` or `-`.
    pub fn open(path: Option<&Path>) -> Result<Input, Failure> {
        match path {
            Some(path) if !is_standard_stream(path) => Input::open_path(path),
            _ => Input::open_stdin(),
        }
    }

    fn open_path(path: &Path) -> Result<Input, Failure> {
        let label = path.display().to_string();
        let file = File::open(path)
            .map_err(|error| Failure::io(format!("cannot open {label}"), &error))?;
        let metadata = file
            .metadata()
            .map_err(|error| Failure::io(format!("cannot read {label}"), &error))?;
        if metadata.is_dir() {
            return Err(Failure::new(format!(
                "cannot read {label}: it is a directory"
            )));
        }
        Ok(Input {
            label,
            path: Some(path.to_path_buf()),
            file,
            metadata,
            from_stdin: false,
        })
    }

    fn open_stdin() -> Result<Input, Failure> {
        // A duplicate of descriptor 0 as a plain File: unbuffered (the library reads in large
        // batches) and with metadata for the length and the same-file check.
        let file = duplicate_standard_stream(&io::stdin())
            .map_err(|error| Failure::io("cannot read stdin", &error))?;
        let metadata = file
            .metadata()
            .map_err(|error| Failure::io("cannot read stdin", &error))?;
        if metadata.is_dir() {
            return Err(Failure::new("cannot read stdin: it is a directory"));
        }
        Ok(Input {
            label: "stdin".to_string(),
            path: None,
            file,
            metadata,
            from_stdin: true,
        })
    }

    /// The path as given, or "stdin".
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The byte length, where the input is a regular file.
    pub fn len(&self) -> Option<u64> {
        self.metadata.is_file().then_some(self.metadata.len())
    }

    /// A file named on the command line that is a regular file, so that it can be read at any
    /// offset; stdin is not, even when it is a regular file: it may not start at offset 0.
    pub fn is_named_regular_file(&self) -> bool {
        !self.from_stdin && self.metadata.is_file()
    }

    pub fn identity(&self) -> Option<FileIdentity> {
        FileIdentity::of_regular_file(&self.metadata, self.path.as_deref())
    }

    /// Refuses a secret file that is another name for stdin when the data comes from stdin:
    /// reading the secret would consume the data (a backup of nothing, or a failed decrypt).
    pub fn refuse_secret_from_stdin<'a>(
        &self,
        secret_files: impl IntoIterator<Item = &'a Path>,
    ) -> Result<(), Failure> {
        if !self.from_stdin {
            return Ok(());
        }
        match secret_files.into_iter().find(|path| reads_stdin(path)) {
            Some(path) => Err(Failure::new(format!(
                "{} is stdin, which already carries the data; read the secret from a file, or \
                 give the data as IN",
                path.display()
            ))),
            None => Ok(()),
        }
    }

    /// Stdin left attached to the terminal: a backup cannot be typed in, so this is almost
    /// always a forgotten IN argument.
    pub fn is_interactive_stdin(&self) -> bool {
        self.from_stdin && self.file.is_terminal()
    }

    pub fn into_reader(self) -> InputReader {
        InputReader {
            action: format!("cannot read {}", self.label),
            file: self.file,
        }
    }
}

/// Reads the input, tagging errors with its name.
#[derive(Debug)]
pub struct InputReader {
    action: String,
    file: File,
}

impl Read for InputReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.file
            .read(buffer)
            .map_err(|error| LabelledIoError::wrap(&self.action, error))
    }

    /// One system call fills a whole run of chunk windows (the default would fill one window
    /// per call).
    fn read_vectored(&mut self, buffers: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.file
            .read_vectored(buffers)
            .map_err(|error| LabelledIoError::wrap(&self.action, error))
    }
}

impl e2eb::ReadAt for InputReader {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        #[cfg(unix)]
        let read = std::os::unix::fs::FileExt::read_at(&self.file, buffer, offset);
        // seek_read also moves the file's cursor, which nothing here relies on.
        #[cfg(windows)]
        let read = std::os::windows::fs::FileExt::seek_read(&self.file, buffer, offset);
        read.map_err(|error| LabelledIoError::wrap(&self.action, error))
    }

    fn size(&self) -> io::Result<u64> {
        self.file
            .metadata()
            .map(|metadata| metadata.len())
            .map_err(|error| LabelledIoError::wrap(&self.action, error))
    }
}
