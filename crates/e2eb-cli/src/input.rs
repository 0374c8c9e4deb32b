//! The input of encrypt, decrypt and inspect: a file or stdin.

use std::fs::{File, Metadata};
use std::io::{self, IsTerminal, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Failure, LabelledIoError};

/// Names a file by device and inode, so two paths (or a path and stdin) can be seen to be one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    /// Only regular files count: two ends of `/dev/null` or of a terminal are not a conflict.
    pub fn of_regular_file(metadata: &Metadata) -> Option<FileIdentity> {
        metadata.is_file().then(|| FileIdentity {
            device: metadata.dev(),
            inode: metadata.ino(),
        })
    }
}

/// Whether a command-line path means stdin or stdout.
pub fn is_standard_stream(path: &Path) -> bool {
    path.as_os_str() == "-"
}

#[derive(Debug)]
pub struct Input {
    label: String,
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
            file,
            metadata,
            from_stdin: false,
        })
    }

    fn open_stdin() -> Result<Input, Failure> {
        // A duplicate of descriptor 0 as a plain File: unbuffered (the library reads in large
        // batches) and with metadata for the length and the same-file check.
        let file = io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .map(File::from)
            .map_err(|error| Failure::io("cannot read stdin", &error))?;
        let metadata = file
            .metadata()
            .map_err(|error| Failure::io("cannot read stdin", &error))?;
        if metadata.is_dir() {
            return Err(Failure::new("cannot read stdin: it is a directory"));
        }
        Ok(Input {
            label: "stdin".to_string(),
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
        FileIdentity::of_regular_file(&self.metadata)
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
        self.file
            .read_at(buffer, offset)
            .map_err(|error| LabelledIoError::wrap(&self.action, error))
    }

    fn size(&self) -> io::Result<u64> {
        self.file
            .metadata()
            .map(|metadata| metadata.len())
            .map_err(|error| LabelledIoError::wrap(&self.action, error))
    }
}
