//! What can go wrong reading a crypt15 backup, worded so that a person can tell a wrong key
//! from a damaged file.

use std::fmt;

/// Which part of a file ended too early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The file is empty.
    Empty,
    /// Inside the varint that gives the prefix length.
    PrefixLength,
    /// Inside the prefix message.
    Prefix,
    /// After the prefix, fewer than the 16 bytes of a GCM tag remain.
    Tag,
}

/// How the decrypted data is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A zlib stream (a single database, e.g. msgstore.db), inflated on the way out.
    Zlib,
    /// A ZIP archive (multi-file backups), written out as it is.
    Zip,
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Payload::Zlib => "a zlib stream",
            Payload::Zip => "a ZIP archive",
        })
    }
}

/// What the damage of a file opened with the right key looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// The zlib stream stops before its end, cleanly: bytes are missing at the end.
    Truncated,
    /// The decrypted data breaks off into garbage, or is whole but its trailer is wrong.
    Corrupted,
}

/// Why an authenticated zlib payload could not be inflated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZlibFault {
    /// The deflate data is invalid.
    Corrupt {
        /// Inflated bytes written before the fault.
        after: u64,
        /// The inflater's message.
        message: String,
    },
    /// The stream has no end.
    Incomplete,
    /// Bytes follow the end of the stream.
    TrailingData {
        /// How many.
        len: u64,
    },
}

impl fmt::Display for ZlibFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZlibFault::Corrupt { after, message } => {
                write!(f, "is invalid after {after} inflated bytes ({message})")
            }
            ZlibFault::Incomplete => f.write_str("stops before its end"),
            ZlibFault::TrailingData { len } => write!(f, "is followed by {len} stray bytes"),
        }
    }
}

/// Why a crypt15 backup could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the backup or writing the output failed.
    #[error("{0}")]
    Io(std::io::Error),
    /// The file ends before its prefix does, or too soon after it to hold a tag.
    #[error("{}", describe_truncation(*part, *offset))]
    Truncated {
        /// Where it ended.
        part: Part,
        /// The file's length.
        offset: u64,
    },
    /// The prefix is not a valid protobuf message: not a crypt15 file.
    #[error("not a crypt15 backup: malformed prefix at byte {offset}: {reason}")]
    MalformedPrefix {
        /// File offset of the fault.
        offset: u64,
        /// What is wrong there.
        reason: String,
    },
    /// The prefix parses but does not describe a crypt15 backup this crate opens.
    #[error("unsupported backup prefix: {found}")]
    UnsupportedPrefix {
        /// What the prefix holds.
        found: String,
    },
    /// The MD5 trailer matches but the GCM tag does not verify with this key. The MD5 has no
    /// key, so a match rules out accidental damage only: whoever changes the file on purpose
    /// recomputes it. The key is wrong, or the file was deliberately modified.
    #[error(
        "MD5 matches: not accidental damage: the wrong key, or deliberate modification (the \
         authentication tag does not verify with this key, and the MD5 trailer, which has no \
         key, matches the contents as anyone who alters the file can make it)"
    )]
    WrongKey,
    /// The key decrypts the start of the data correctly, but the tag does not verify and no
    /// MD5 trailer matches: the file was changed or cut after it was written.
    #[error(
        "the file is {}: the key is right (the data decrypts to the start of {payload}), but \
         the authentication tag does not verify and no MD5 trailer matches the contents{}",
        match damage { Damage::Truncated => "truncated", Damage::Corrupted => "corrupted" },
        match damage {
            Damage::Truncated => "; the data stops before the end of its zlib stream",
            Damage::Corrupted => "",
        }
    )]
    Damaged {
        /// What the damage looks like.
        damage: Damage,
        /// What the start of the data decrypted to.
        payload: Payload,
    },
    /// The tag does not verify, no MD5 trailer matches, and the data does not decrypt to a
    /// known payload: most likely the wrong key, possibly a file damaged from its start.
    #[error(
        "this key does not authenticate the file, which has no intact MD5 trailer to tell a \
         wrong key from damage; its data does not decrypt to a zlib stream or a ZIP archive, so \
         the key is most likely wrong (otherwise the file is damaged from its start)"
    )]
    WrongKeyOrDamaged,
    /// The data is longer than one GCM message may be.
    #[error("the backup is longer than one AES-GCM message can be (about 64 GiB)")]
    TooLong,
    /// The backup authenticated, but its data is neither zlib nor ZIP.
    #[error(
        "the backup authenticated, but its data is neither a zlib stream nor a ZIP archive \
         (it starts with {start})"
    )]
    UnknownPayload {
        /// The first bytes, hex, or "no bytes at all".
        start: String,
    },
    /// The backup authenticated, but its zlib stream is broken.
    #[error("the backup authenticated, but its zlib stream {fault}")]
    BadZlib {
        /// What is wrong with it.
        fault: ZlibFault,
    },
}

fn describe_truncation(part: Part, offset: u64) -> String {
    match part {
        Part::Empty => "the file is empty".into(),
        Part::PrefixLength | Part::Prefix => format!(
            "the file ends at byte {offset}, inside its {}: it is truncated, or not a crypt15 \
             backup",
            if part == Part::Prefix {
                "prefix"
            } else {
                "prefix length"
            }
        ),
        Part::Tag => format!(
            "the file is truncated: it ends at byte {offset}, with no room for the \
             authentication tag after the prefix"
        ),
    }
}

impl Error {
    /// A stable name for the kind of error, as the crypt15 test vectors use it.
    pub fn class(&self) -> &'static str {
        match self {
            Error::Io(_) => "Io",
            Error::Truncated { .. } => "Truncated",
            Error::MalformedPrefix { .. } => "MalformedPrefix",
            Error::UnsupportedPrefix { .. } => "UnsupportedPrefix",
            Error::WrongKey => "WrongKey",
            Error::Damaged { .. } => "Damaged",
            Error::WrongKeyOrDamaged => "WrongKeyOrDamaged",
            Error::TooLong => "TooLong",
            Error::UnknownPayload { .. } => "UnknownPayload",
            Error::BadZlib { .. } => "BadZlib",
        }
    }

    /// Whether the error says the key (most likely) is not this backup's.
    pub fn is_wrong_key(&self) -> bool {
        matches!(self, Error::WrongKey | Error::WrongKeyOrDamaged)
    }

    /// Whether the error is about the backup's bytes (damaged, truncated, not crypt15) rather
    /// than the key or I/O.
    pub fn is_bad_backup(&self) -> bool {
        !matches!(
            self,
            Error::Io(_) | Error::WrongKey | Error::WrongKeyOrDamaged
        )
    }

    /// Recovers an error that travelled through [`std::io::Read`] as an [`std::io::Error`];
    /// other I/O errors become [`Error::Io`].
    pub fn from_io(error: std::io::Error) -> Error {
        if Error::find_in(&error).is_none() {
            return Error::Io(error);
        }
        let kind = error.kind();
        match error.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(ours)) => *ours,
            Some(Err(other)) => Error::Io(std::io::Error::new(kind, other)),
            None => Error::Io(kind.into()),
        }
    }

    /// Finds an error of this crate inside an I/O error (as a `Read` adapter returns it, and
    /// as other libraries pass it on).
    pub fn find_in(error: &std::io::Error) -> Option<&Error> {
        error.get_ref()?.downcast_ref::<Error>()
    }

    /// Wraps this error for a [`std::io::Read`] implementation; [`Error::from_io`] recovers it.
    pub fn into_io(self) -> std::io::Error {
        match self {
            Error::Io(error) => error,
            other => std::io::Error::new(std::io::ErrorKind::InvalidData, other),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Error {
        Error::from_io(error)
    }
}

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not 64 hex digits.
    #[error("{0}")]
    NotHex(#[from] e2eb::RecoveryKeyError),
    /// A Java-serialized byte array of the wrong length.
    #[error(
        "a Java-serialized key of {found} bytes; a crypt15 key has 32{}",
        if *found == 131 { " (131 bytes is a crypt12/crypt14 key file)" } else { "" }
    )]
    JavaKeyLength {
        /// The array length found.
        found: usize,
    },
    /// Starts like a Java-serialized object, but is not a serialized byte array as
    /// `encrypted_backup.key` holds.
    #[error(
        "starts with a Java serialization header, but is not a serialized byte array \
         ({reason})"
    )]
    JavaMalformed {
        /// What does not fit.
        reason: &'static str,
    },
    /// Neither a Java-serialized key nor text.
    #[error(
        "neither an encrypted_backup.key file (Java-serialized) nor text holding 64 hex digits"
    )]
    Unrecognised,
}
