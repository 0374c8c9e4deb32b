//! `e2eb inspect`: what a backup's header says and what its length implies, without a secret.

use std::io::{self, Write};

use e2eb::payload::{self, CHUNK_LEN, PREFIX_LEN};
use e2eb::{Header, KdfCaps, KdfParams, KeySlot, SlotKind};
use serde::Serialize;

use crate::cli::InspectArgs;
use crate::error::{Failure, cap_flag};
use crate::input::Input;

/// The `--json` fields, shown by `e2eb inspect --help`. Field names are stable; new fields may
/// be added.
pub const JSON_FIELDS_HELP: &str = "\
With --json, one JSON object with these fields:
  input                path as given, or \"-\" for stdin
  format_version       format version of the header (number)
  suite                \"aes-256-gcm\" or \"chacha20-poly1305\"
  suite_id             the suite's header byte (number)
  header_len           header length in bytes
  slots                array of key slots in header order, each with:
    index                position in the header, from 0
    kind                 \"recovery-key\", \"argon2id\", \"scrypt\", \"vault\" or \"unknown\"
    type_id              the slot type byte (number)
    kdf                  null, or for password slots an object:
                           algorithm (\"argon2id\" or \"scrypt\"), params (as --kdf-params takes
                           them), memory_bytes, memory (e.g. \"64 MiB\"), and
                           m_kib, t, p (argon2id) or ln, r, p (scrypt)
    vault                null, or for vault slots an object: vault_id (64 hex digits), account
                           (hex), url (the URL hint) and verified (always false: nothing
                           vouches for them until the vault secret opens the slot)
    within_default_caps  true/false for password slots, null otherwise
    over_cap             null, or {parameter, value, cap, flag}: the first parameter above this
                         machine's default caps and the decrypt flag that raises that cap
  default_caps         this machine's default decrypt caps: max_memory_bytes, max_memory,
                       argon2_max_t, argon2_max_p, scrypt_max_log_n, scrypt_max_r, scrypt_max_p,
                       max_work_bytes (memory × passes per slot), max_backup_work_bytes,
                       max_password_slots (per backup)
  file_len             total length of the input in bytes
  payload_len          bytes after the header (salt, commitment and chunks)
  chunk_count          number of chunks, or null when payload_error is set
  plaintext_len        decrypted length in bytes, or null when payload_error is set
  sizes_verified       always false: chunk_count and plaintext_len follow from the file's
                       length alone, which nothing authenticates without a secret (a backup
                       cut inside its last chunk shows a smaller size); decrypt verifies
  payload_error        null, or why the length is impossible (the backup is truncated)

When the length is impossible, the report is still printed, then the error goes to stderr and
the exit status is 4.";

#[derive(Debug, Serialize)]
struct Report {
    input: String,
    format_version: u8,
    suite: &'static str,
    suite_id: u8,
    header_len: usize,
    slots: Vec<SlotReport>,
    default_caps: CapsReport,
    file_len: u64,
    payload_len: u64,
    chunk_count: Option<u64>,
    plaintext_len: Option<u64>,
    sizes_verified: bool,
    payload_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct SlotReport {
    index: usize,
    kind: &'static str,
    type_id: u8,
    kdf: Option<KdfReport>,
    vault: Option<VaultReport>,
    within_default_caps: Option<bool>,
    over_cap: Option<OverCapReport>,
}

#[derive(Debug, Serialize)]
struct KdfReport {
    algorithm: &'static str,
    params: String,
    memory_bytes: u128,
    memory: String,
    /// The KDF's own parameters, for the KDFs this report knows.
    #[serde(flatten)]
    numbers: Option<KdfNumbers>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum KdfNumbers {
    Argon2id { m_kib: u32, t: u32, p: u32 },
    Scrypt { ln: u8, r: u32, p: u32 },
}

#[derive(Debug, Serialize)]
struct VaultReport {
    vault_id: String,
    account: String,
    url: String,
    /// Always false: the key check and the commitment cover these, but both need the secret.
    verified: bool,
}

#[derive(Debug, Serialize)]
struct OverCapReport {
    parameter: &'static str,
    value: String,
    cap: String,
    flag: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct CapsReport {
    max_memory_bytes: u64,
    max_memory: String,
    argon2_max_t: u32,
    argon2_max_p: u32,
    scrypt_max_log_n: u8,
    scrypt_max_r: u32,
    scrypt_max_p: u32,
    max_work_bytes: u64,
    max_backup_work_bytes: u64,
    max_password_slots: u32,
}

pub fn run(args: InspectArgs) -> Result<(), Failure> {
    let input = Input::open(Some(&args.input))?;
    let label = input.label().to_string();
    let known_len = input.len();
    let mut reader = input.into_reader();
    let header =
        Header::read_from(&mut reader).map_err(|error| Failure::library(error, Some(&label)))?;
    let file_len = match known_len {
        Some(len) => len,
        // Stdin or a pipe: its length is only known once read through.
        None => {
            let rest = io::copy(&mut reader, &mut io::sink())
                .map_err(|error| Failure::library(e2eb::Error::from_io(error), Some(&label)))?;
            header.len() as u64 + rest
        }
    };

    let caps = KdfCaps::default();
    let payload_len = file_len.saturating_sub(header.len() as u64);
    let payload = payload_lengths(payload_len);
    let report = Report {
        input: args.input.display().to_string(),
        format_version: header.version(),
        suite: header.suite().name(),
        suite_id: header.suite().id(),
        header_len: header.len(),
        slots: header
            .slots()
            .iter()
            .enumerate()
            .map(|(index, slot)| slot_report(index, slot, &caps))
            .collect(),
        default_caps: CapsReport {
            max_memory_bytes: caps.max_memory_bytes(),
            max_memory: e2eb_measure::units::format_bytes(u128::from(caps.max_memory_bytes())),
            argon2_max_t: caps.argon2_max_passes(),
            argon2_max_p: caps.argon2_max_lanes(),
            scrypt_max_log_n: caps.scrypt_max_log_n(),
            scrypt_max_r: caps.scrypt_max_r(),
            scrypt_max_p: caps.scrypt_max_p(),
            max_work_bytes: caps.max_work_bytes(),
            max_backup_work_bytes: caps.max_backup_work_bytes(),
            max_password_slots: caps.max_password_slots(),
        },
        file_len,
        payload_len,
        chunk_count: payload.as_ref().ok().map(|&(chunks, _)| chunks),
        plaintext_len: payload.as_ref().ok().map(|&(_, plaintext)| plaintext),
        // Without a secret no chunk can be authenticated: the sizes are what the length
        // implies.
        sizes_verified: false,
        payload_error: payload.as_ref().err().map(ToString::to_string),
    };

    crate::output::print_report(&report, args.json, write_text)?;

    match payload {
        Ok(_) => Ok(()),
        Err(error) => Err(Failure::library(error, Some(&label))),
    }
}

/// The chunk count and plaintext length that `payload_len` bytes after the header imply, or
/// why no backup can have that length.
fn payload_lengths(payload_len: u64) -> Result<(u64, u64), e2eb::Error> {
    let sealed_len = payload_len
        .checked_sub(PREFIX_LEN as u64)
        .ok_or(e2eb::Error::Truncated(e2eb::Truncation::PayloadPrefix))?;
    let plaintext_len = payload::plaintext_len(sealed_len)?;
    // Every message ends with a short (possibly empty) final chunk.
    let chunk_count = plaintext_len / CHUNK_LEN as u64 + 1;
    Ok((chunk_count, plaintext_len))
}

fn slot_report(index: usize, slot: &KeySlot, caps: &KdfCaps) -> SlotReport {
    let kind = slot.kind();
    let kind_name = match kind {
        SlotKind::RecoveryKey => "recovery-key",
        SlotKind::Argon2id => "argon2id",
        SlotKind::Scrypt => "scrypt",
        SlotKind::Vault => "vault",
        _ => "unknown",
    };
    let mut report = SlotReport {
        index,
        kind: kind_name,
        type_id: kind.type_id(),
        kdf: None,
        vault: None,
        within_default_caps: None,
        over_cap: None,
    };
    if let KeySlot::Vault { account, .. } = slot {
        report.vault = Some(VaultReport {
            vault_id: account.vault_id().to_string(),
            account: account
                .account()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            url: account.url().to_string(),
            verified: false,
        });
    }
    if let KeySlot::Password { kdf, .. } = slot {
        let numbers = match kdf {
            KdfParams::Argon2id(params) => Some(KdfNumbers::Argon2id {
                m_kib: params.memory_kib(),
                t: params.passes(),
                p: params.lanes(),
            }),
            KdfParams::Scrypt(params) => Some(KdfNumbers::Scrypt {
                ln: params.log_n(),
                r: params.r(),
                p: params.p(),
            }),
            _ => None,
        };
        report.kdf = Some(KdfReport {
            algorithm: kind_name,
            params: kdf.to_string(),
            memory_bytes: kdf.memory_bytes(),
            memory: e2eb_measure::units::format_bytes(kdf.memory_bytes()),
            numbers,
        });
        let over_cap = caps.check(kdf).err();
        report.within_default_caps = Some(over_cap.is_none());
        report.over_cap = over_cap.map(|exceeded| {
            let parameter = exceeded.parameter;
            OverCapReport {
                parameter: parameter.name(),
                value: parameter.display_value(exceeded.value).to_string(),
                cap: parameter.display_value(exceeded.cap).to_string(),
                flag: cap_flag(parameter),
            }
        });
    }
    report
}

fn write_text(out: &mut impl Write, report: &Report) -> io::Result<()> {
    writeln!(out, "backup:          {}", report.input)?;
    writeln!(out, "format version:  {}", report.format_version)?;
    writeln!(
        out,
        "cipher suite:    {} (0x{:02x})",
        report.suite, report.suite_id
    )?;
    writeln!(
        out,
        "header:          {} bytes, {} key slot{}",
        report.header_len,
        report.slots.len(),
        if report.slots.len() == 1 { "" } else { "s" }
    )?;
    for slot in &report.slots {
        write!(out, "{:<17}", format!("key slot {}:", slot.index))?;
        match (&slot.kdf, slot.kind) {
            (Some(kdf), _) => {
                write!(
                    out,
                    "{} {}, {} of memory; ",
                    kdf.algorithm, kdf.params, kdf.memory
                )?;
                match &slot.over_cap {
                    None => writeln!(out, "within this machine's default caps")?,
                    Some(over) => writeln!(
                        out,
                        "OVER this machine's default caps: {} = {} above {}{}",
                        over.parameter,
                        over.value,
                        over.cap,
                        over.flag
                            .map(|flag| format!(" (decrypt needs {flag})"))
                            .unwrap_or_default()
                    )?,
                }
            }
            (None, "vault") => {
                let vault = slot
                    .vault
                    .as_ref()
                    .expect("vault slots have a vault report");
                // Escaped: the URL hint comes from the file and may hold control characters.
                writeln!(
                    out,
                    "vault {}…, account {}, URL hint \"{}\" (unverified until the vault \
                     secret opens the slot)",
                    &vault.vault_id[..16],
                    vault.account,
                    vault.url.escape_debug()
                )?
            }
            (None, "unknown") => writeln!(
                out,
                "unknown type 0x{:02x} (this build skips it)",
                slot.type_id
            )?,
            (None, kind) => writeln!(out, "{kind}")?,
        }
    }
    writeln!(
        out,
        "default caps:    memory {}, argon2id t <= {} p <= {}, scrypt log2 N <= {} r <= {} p <= {}, \
         memory × passes {}; per backup {} password slots, memory × passes {}",
        report.default_caps.max_memory,
        report.default_caps.argon2_max_t,
        report.default_caps.argon2_max_p,
        report.default_caps.scrypt_max_log_n,
        report.default_caps.scrypt_max_r,
        report.default_caps.scrypt_max_p,
        e2eb_measure::units::format_bytes(u128::from(report.default_caps.max_work_bytes)),
        report.default_caps.max_password_slots,
        e2eb_measure::units::format_bytes(u128::from(report.default_caps.max_backup_work_bytes)),
    )?;
    writeln!(out, "file:            {} bytes", report.file_len)?;
    match (
        report.chunk_count,
        report.plaintext_len,
        &report.payload_error,
    ) {
        (Some(chunks), Some(plaintext), _) => {
            writeln!(
                out,
                "payload:         {} bytes: {PREFIX_LEN}-byte salt and commitment, {chunks} chunk{}",
                report.payload_len,
                if chunks == 1 { "" } else { "s" }
            )?;
            writeln!(
                out,
                "plaintext:       {plaintext} bytes{}, unverified: implied by the file's length \
                 (a backup cut short or extended shows another size); decrypting verifies it",
                approximately(plaintext)
            )?;
        }
        (_, _, error) => {
            writeln!(out, "payload:         {} bytes", report.payload_len)?;
            writeln!(
                out,
                "payload error:   {}",
                error.as_deref().unwrap_or("impossible length")
            )?;
        }
    }
    Ok(())
}

/// " (12.3 MiB)" for sizes of a KiB and more, so a person can read the scale at a glance.
fn approximately(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return String::new();
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!(" ({value:.1} {})", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_the_chunk_rules() {
        let tag = 16u64;
        let prefix = PREFIX_LEN as u64;
        assert_eq!(payload_lengths(prefix + tag).unwrap(), (1, 0));
        assert_eq!(payload_lengths(prefix + tag + 5).unwrap(), (1, 5));
        let full = CHUNK_LEN as u64 + tag;
        assert_eq!(
            payload_lengths(prefix + full + tag).unwrap(),
            (2, CHUNK_LEN as u64)
        );
        assert!(payload_lengths(prefix - 1).is_err());
        assert!(payload_lengths(prefix).is_err(), "no final chunk");
        assert!(
            payload_lengths(prefix + full).is_err(),
            "cut at a chunk boundary"
        );
        assert!(
            payload_lengths(prefix + 3).is_err(),
            "final chunk shorter than a tag"
        );
    }

    #[test]
    fn approximate_sizes_read_well() {
        assert_eq!(approximately(100), "");
        assert_eq!(approximately(1536), " (1.5 KiB)");
        assert_eq!(approximately(3 << 30), " (3.0 GiB)");
    }
}
