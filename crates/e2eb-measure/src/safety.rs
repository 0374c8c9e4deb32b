//! Safety rails for a chosen setting: memory the device cannot give, settings below OWASP's
//! minimum, and the decrypt-side caps a backup made with them needs.

use e2eb::{KdfCaps, KdfParams};

use crate::family::memory_of;

/// What is known about the device a setting is chosen for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    /// Physical memory (MemTotal).
    pub physical_memory: Option<u64>,
    /// Memory free for a new allocation now (MemAvailable), where measured on the device.
    pub available_memory: Option<u64>,
}

impl Device {
    /// The most memory one derivation should take there: what is available now, or without
    /// that figure half of the physical memory (the app and the OS need the rest).
    pub fn can_give(&self) -> Option<u64> {
        self.available_memory
            .or(self.physical_memory.map(|bytes| bytes / 2))
    }
}

/// What a warning is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The setting asks for more memory than the device can give.
    MemoryExceedsDevice,
    /// The setting is weaker than OWASP's minimum for its KDF.
    BelowOwaspMinimum,
    /// `e2eb decrypt`'s default caps would refuse a backup made with the setting.
    RefusedByDefaultCaps,
    /// The target time cannot be reached within the memory cap and the iteration caps.
    TargetUnreachable,
    /// A prediction lies outside what the model was fitted to.
    Extrapolated,
    /// Timed again, a setting the search measured within the window fell outside it: the
    /// machine's timings vary (other load, frequency scaling).
    TimingVaried,
}

/// One warning, in words.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub message: String,
}

/// OWASP Password Storage Cheat Sheet: Argon2id settings of equal strength, `(m KiB, t)`, at
/// `p = 1`. A setting meets the minimum when it has at least the memory and passes of one.
pub const OWASP_ARGON2ID: [(u32, u32); 5] =
    [(47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5)];

/// OWASP Password Storage Cheat Sheet: scrypt settings of equal strength, `(log2 N, p)` at
/// `r = 8`. A setting meets the minimum when its `N·r` is at least `8·N` of one of them and its
/// `N·r·p` at least `8·N·p` of it: memory and work both scale with `N·r`.
pub const OWASP_SCRYPT: [(u8, u32); 5] = [(17, 1), (16, 2), (15, 3), (14, 5), (13, 10)];

/// Whether `params` is at least as strong as one of OWASP's minimum settings.
pub fn meets_owasp_minimum(params: &KdfParams) -> bool {
    match params {
        KdfParams::Argon2id(argon) => OWASP_ARGON2ID.iter().any(|&(memory_kib, passes)| {
            argon.memory_kib() >= memory_kib && argon.passes() >= passes
        }),
        KdfParams::Scrypt(scrypt) => {
            let blocks = u128::from(scrypt.r()) << scrypt.log_n().min(100);
            OWASP_SCRYPT.iter().any(|&(log_n, p)| {
                let minimum = 8u128 << log_n;
                blocks >= minimum && blocks * u128::from(scrypt.p()) >= minimum * u128::from(p)
            })
        }
        // OWASP gives no minimum for other KDFs.
        _ => false,
    }
}

/// OWASP's minimum for the KDF of `params`, in words, with its equally strong alternatives.
pub fn owasp_text(params: &KdfParams) -> &'static str {
    match params {
        KdfParams::Argon2id(_) => {
            "OWASP's minimum for Argon2id is m=19 MiB with t=2 (or as strong: 46 MiB t=1, \
             12 MiB t=3, 9 MiB t=4, 7 MiB t=5)"
        }
        KdfParams::Scrypt(_) => {
            "OWASP's minimum for scrypt is N=2^17, r=8, p=1 (or as strong: 2^16 p=2, 2^15 \
             p=3, 2^14 p=5, 2^13 p=10)"
        }
        _ => "OWASP gives no minimum for this KDF",
    }
}

/// The decrypt-side caps a backup made with a setting needs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CapsNeeded {
    /// Memory one derivation allocates (e2eb's `128·r·(N + p)` for scrypt).
    pub memory_bytes: u64,
    /// The smallest physical memory with which `e2eb decrypt`'s default caps accept it (they
    /// allow half of physical memory); `None` above their 4 GiB ceiling, where no device's
    /// defaults do.
    pub min_physical_memory_for_default_caps: Option<u64>,
    /// Whether the default caps accept it on the device it was chosen for (`None`: that
    /// device's memory is unknown).
    pub default_caps_accept_on_device: Option<bool>,
    /// The `e2eb decrypt` options that open it there when the default caps do not.
    pub decrypt_flags: Vec<String>,
}

/// The caps `params` needs, judged for `device`.
pub fn caps_needed(params: &KdfParams, device: &Device) -> CapsNeeded {
    let memory_bytes: u64 = params.memory_bytes().try_into().unwrap_or(u64::MAX);
    let min_physical =
        (memory_bytes <= KdfCaps::MEMORY_CEILING).then(|| memory_bytes.saturating_mul(2));
    let caps = KdfCaps::for_physical_memory(device.physical_memory);
    let mut flags = Vec::new();
    if memory_bytes > caps.max_memory_bytes() {
        flags.push(format!(
            "--max-kdf-memory {}MiB",
            memory_bytes.div_ceil(1 << 20)
        ));
    }
    match params {
        KdfParams::Argon2id(argon) => {
            if argon.passes() > caps.argon2_max_passes() {
                flags.push(format!("--max-argon2-t {}", argon.passes()));
            }
            if argon.lanes() > caps.argon2_max_lanes() {
                flags.push(format!("--max-argon2-p {}", argon.lanes()));
            }
        }
        KdfParams::Scrypt(scrypt) => {
            if scrypt.log_n() > caps.scrypt_max_log_n() {
                flags.push(format!("--max-scrypt-log-n {}", scrypt.log_n()));
            }
            if scrypt.r() > caps.scrypt_max_r() {
                flags.push(format!("--max-scrypt-r {}", scrypt.r()));
            }
            if scrypt.p() > caps.scrypt_max_p() {
                flags.push(format!("--max-scrypt-p {}", scrypt.p()));
            }
        }
        // A KDF without caps of its own has only the memory cap, judged above.
        _ => {}
    }
    // Without the device's memory only the caps that do not depend on it are judged.
    let accepted = caps.check(params).is_ok();
    CapsNeeded {
        memory_bytes,
        min_physical_memory_for_default_caps: min_physical,
        default_caps_accept_on_device: if device.physical_memory.is_some() || !accepted {
            Some(accepted)
        } else {
            None
        },
        decrypt_flags: flags,
    }
}

/// The warnings for `params` chosen for `device`.
pub fn check(params: &KdfParams, device: &Device) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let memory = memory_of(params);
    if let Some(can_give) = device.can_give()
        && memory > can_give
    {
        let what = if device.available_memory.is_some() {
            "has available now"
        } else {
            "can spare (half of its physical memory)"
        };
        warnings.push(Warning {
            kind: WarningKind::MemoryExceedsDevice,
            message: format!(
                "{params} needs {} of memory; the device {what} only {}: the derivation may \
                 fail or swap there",
                approx_bytes(memory),
                approx_bytes(can_give)
            ),
        });
    }
    if !meets_owasp_minimum(params) {
        warnings.push(Warning {
            kind: WarningKind::BelowOwaspMinimum,
            message: format!(
                "{params} is below OWASP's minimum: {} (OWASP Password Storage Cheat Sheet)",
                owasp_text(params)
            ),
        });
    }
    let caps = caps_needed(params, device);
    if caps.default_caps_accept_on_device == Some(false) {
        let where_ = match device.physical_memory {
            Some(bytes) if caps.min_physical_memory_for_default_caps.is_some() => {
                format!("on a device with {} of RAM", approx_bytes(bytes))
            }
            _ => "on any device".to_owned(),
        };
        warnings.push(Warning {
            kind: WarningKind::RefusedByDefaultCaps,
            message: format!(
                "e2eb decrypt's default caps refuse {params} {where_}; restoring needs {}",
                caps.decrypt_flags.join(" ")
            ),
        });
    }
    warnings
}

/// `bytes` rounded for reading: `1.5 GiB`, `820 MiB`.
pub fn approx_bytes(bytes: u64) -> String {
    let gib = bytes as f64 / f64::from(1u32 << 30);
    if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else {
        format!("{:.0} MiB", bytes as f64 / f64::from(1u32 << 20))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use e2eb::{Argon2idParams, ScryptParams};

    fn argon(memory_kib: u32, passes: u32, lanes: u32) -> KdfParams {
        KdfParams::Argon2id(Argon2idParams::unvalidated(memory_kib, passes, lanes))
    }

    fn scrypt(log_n: u8, r: u32, p: u32) -> KdfParams {
        KdfParams::Scrypt(ScryptParams::unvalidated(log_n, r, p))
    }

    fn kinds(warnings: &[Warning]) -> Vec<WarningKind> {
        warnings.iter().map(|warning| warning.kind).collect()
    }

    #[test]
    fn owasp_minimums() {
        assert!(meets_owasp_minimum(&argon(19456, 2, 1)));
        assert!(!meets_owasp_minimum(&argon(19455, 2, 1)));
        assert!(!meets_owasp_minimum(&argon(19456, 1, 1)));
        assert!(meets_owasp_minimum(&argon(47104, 1, 4)));
        assert!(meets_owasp_minimum(&argon(7168, 5, 1)));
        assert!(meets_owasp_minimum(
            &e2eb::KdfKind::Argon2id.default_params()
        ));
        assert!(meets_owasp_minimum(&scrypt(17, 8, 1)));
        assert!(!meets_owasp_minimum(&scrypt(16, 8, 1)));
        assert!(meets_owasp_minimum(&scrypt(16, 8, 2)));
        assert!(meets_owasp_minimum(&scrypt(16, 16, 1)), "N·r as 2^17·8");
        assert!(!meets_owasp_minimum(&scrypt(17, 1, 1)), "the r = 1 pitfall");
        assert!(meets_owasp_minimum(&e2eb::KdfKind::Scrypt.default_params()));
    }

    #[test]
    fn warns_about_memory_the_device_lacks() {
        let device = Device {
            physical_memory: Some(4 << 30),
            available_memory: Some(1 << 30),
        };
        let big = argon(1536 * 1024, 1, 4);
        assert_eq!(
            kinds(&check(&big, &device)),
            [WarningKind::MemoryExceedsDevice]
        );
        let fine = argon(512 * 1024, 1, 4);
        assert!(check(&fine, &device).is_empty());
        let unknown = Device::default();
        assert!(check(&big, &unknown).is_empty());
    }

    #[test]
    fn warns_when_default_caps_refuse() {
        // 3 GiB phone: default caps allow 1.5 GiB.
        let phone = Device {
            physical_memory: Some(3 << 30),
            available_memory: None,
        };
        let params = argon(2 << 20, 1, 4);
        let caps = caps_needed(&params, &phone);
        assert_eq!(caps.min_physical_memory_for_default_caps, Some(4 << 30));
        assert_eq!(caps.default_caps_accept_on_device, Some(false));
        assert_eq!(caps.decrypt_flags, ["--max-kdf-memory 2048MiB"]);
        let warnings = check(&params, &phone);
        assert_eq!(
            kinds(&warnings),
            [
                WarningKind::MemoryExceedsDevice,
                WarningKind::RefusedByDefaultCaps
            ]
        );
        assert!(
            warnings[1].message.contains("--max-kdf-memory 2048MiB"),
            "{warnings:?}"
        );

        // Over the 4 GiB ceiling no device's defaults accept; many passes need a flag too.
        let huge = argon(5 << 20, 80, 4);
        let caps = caps_needed(&huge, &Device::default());
        assert_eq!(caps.min_physical_memory_for_default_caps, None);
        assert_eq!(caps.default_caps_accept_on_device, Some(false));
        assert_eq!(
            caps.decrypt_flags,
            ["--max-kdf-memory 5120MiB", "--max-argon2-t 80"]
        );
        let warning = check(&huge, &Device::default()).pop().unwrap();
        assert!(warning.message.contains("on any device"), "{warning:?}");

        // Unknown memory, ordinary setting: nothing to judge.
        let ordinary = caps_needed(&argon(65536, 3, 4), &Device::default());
        assert_eq!(ordinary.default_caps_accept_on_device, None);
        assert!(ordinary.decrypt_flags.is_empty());
    }

    #[test]
    fn weak_settings_are_flagged() {
        let warnings = check(&argon(8192, 1, 1), &Device::default());
        assert_eq!(kinds(&warnings), [WarningKind::BelowOwaspMinimum]);
        assert!(warnings[0].message.contains("19 MiB"));
        let warnings = check(&scrypt(15, 8, 1), &Device::default());
        assert!(warnings[0].message.contains("2^17"));
    }
}
