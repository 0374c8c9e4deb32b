//! Tests of the result schema, and the sample run that the tests of everything reading runs
//! start from.

use super::*;
use crate::manifest::BuildInfo;
use std::collections::BTreeMap;

/// A small but complete run, for tests of everything that reads runs.
pub fn sample_run() -> Run {
    let summary = |values: &[f64]| Summary::of(values).unwrap();
    let mut aead = Vec::new();
    for (implementation, backend, scale) in [
        ("native", Some("ring"), 1.6),
        ("native", Some("rustcrypto"), 1.0),
        ("soft", Some("rustcrypto"), 0.1),
        ("openssl", None, 1.5),
    ] {
        for suite in ["aes-256-gcm", "chacha20-poly1305"] {
            for (size, base) in [(64u64, 0.5e9), (16384, 3e9), (1 << 20, 3.2e9)] {
                let rate = base * scale * if suite == "aes-256-gcm" { 1.0 } else { 0.4 };
                aead.push(AeadFigure {
                    implementation: implementation.into(),
                    backend: backend.map(Into::into),
                    suite: suite.into(),
                    direction: "seal".into(),
                    size_bytes: size,
                    bytes_per_second: summary(&[rate * 0.98, rate, rate * 1.01]),
                });
            }
        }
    }
    let mut stream = Vec::new();
    for suite in ["aes-256-gcm", "chacha20-poly1305"] {
        for direction in ["encrypt", "decrypt"] {
            for (threads, rate) in [(1usize, 2e9), (2, 3.1e9)] {
                stream.push(StreamFigure {
                    suite: suite.into(),
                    direction: direction.into(),
                    backend: Some("ring".into()),
                    mode: Some("in-memory".into()),
                    threads,
                    plaintext_bytes: 8 << 20,
                    bytes_per_second: summary(&[rate * 0.99, rate, rate * 1.02]),
                    speedup: Some(rate / 2e9),
                    efficiency: Some(rate / 2e9 / threads as f64),
                });
            }
        }
    }
    for (threads, rate) in [(1usize, 5e9), (2, 9e9)] {
        stream.push(StreamFigure {
            suite: "aes-256-gcm".into(),
            direction: "encrypt".into(),
            backend: Some("ring".into()),
            mode: Some("buffer".into()),
            threads,
            plaintext_bytes: 8 << 20,
            bytes_per_second: summary(&[rate * 0.99, rate, rate * 1.02]),
            speedup: Some(rate / 5e9),
            efficiency: Some(rate / 5e9 / threads as f64),
        });
    }
    let mut kdf = Vec::new();
    for lanes in [1, 2] {
        for passes in [1, 3] {
            for mib in [16u32, 64, 256] {
                let seconds = f64::from(mib * passes) * 0.5e-3 / f64::from(lanes).sqrt();
                kdf.push(KdfFigure {
                    setting: KdfSetting::Argon2id {
                        memory_kib: mib * 1024,
                        passes,
                        lanes,
                    },
                    params: format!("m={},t={passes},p={lanes}", mib * 1024),
                    role: "grid".into(),
                    target_seconds: None,
                    predicted_seconds: None,
                    seconds: summary(&[seconds, seconds * 1.02, seconds * 0.99]),
                    memory_bytes: u64::from(mib) << 20,
                    peak_rss_bytes: Some((u64::from(mib) << 20) + (6 << 20)),
                    baseline_rss_bytes: Some(5 << 20),
                });
            }
        }
    }
    for log_n in 14..=16u8 {
        let seconds = 0.026 * f64::from(1u32 << (log_n - 14));
        kdf.push(KdfFigure {
            setting: KdfSetting::Scrypt { log_n, r: 8, p: 1 },
            params: format!("ln={log_n},r=8,p=1"),
            role: "grid".into(),
            target_seconds: None,
            predicted_seconds: None,
            seconds: summary(&[seconds, seconds * 1.01, seconds * 0.98]),
            memory_bytes: 128 * 8 * ((1 << log_n) + 1),
            peak_rss_bytes: Some((128 * 8) << log_n),
            baseline_rss_bytes: Some(5 << 20),
        });
    }
    kdf.push(KdfFigure {
        setting: KdfSetting::Argon2id {
            memory_kib: 256 * 1024,
            passes: 2,
            lanes: 2,
        },
        params: "m=262144,t=2,p=2".into(),
        role: "check".into(),
        target_seconds: Some(0.25),
        predicted_seconds: Some(0.22),
        seconds: summary(&[0.18, 0.19, 0.2]),
        memory_bytes: 256 << 20,
        peak_rss_bytes: None,
        baseline_rss_bytes: None,
    });
    Run {
        schema_version: SCHEMA_VERSION,
        profile: "tiny".into(),
        sections: vec!["aead".into(), "stream".into(), "kdf".into()],
        measure_seconds: 12.5,
        build_seconds: 0.0,
        host: Manifest {
            host_id: "test-cpu-2t-8g".into(),
            hostname: "test".into(),
            arch: "x86_64".into(),
            cpu_model: "Test CPU".into(),
            logical_cpus: 2,
            physical_cores: Some(2),
            cpu_features: BTreeMap::from([("aes".into(), true), ("vaes".into(), false)]),
            hypervisor: true,
            caches: vec!["L1d 48 KiB".into()],
            memory_bytes: Some(8 << 30),
            os: "Test OS".into(),
            kernel: "6.0".into(),
            rustc: "rustc 1.95.0".into(),
            crates: BTreeMap::from([("aes".into(), "0.9.2".into())]),
            build: BuildInfo {
                profile: "release".into(),
                opt_level: "3".into(),
                debug: "false".into(),
                target: "x86_64-unknown-linux-gnu".into(),
                rustflags: String::new(),
                target_features: "sse,sse2".into(),
                profile_settings: BTreeMap::from([("lto".into(), "\"thin\"".into())]),
            },
            git_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            git_dirty: Some(false),
            timestamp: "2026-11-30T07:45:12Z".into(),
            cpu_identity: Some(crate::manifest::CpuIdentity {
                vendor: Some("GenuineIntel".into()),
                family: Some("6".into()),
                model: Some("143".into()),
                stepping: Some("8".into()),
                microcode: Some("0x2b000603".into()),
                mhz: Some(2100.0),
            }),
            cpu_flags: vec!["fpu".into(), "aes".into(), "hypervisor".into()],
            load: Some(crate::manifest::LoadRecord {
                before: crate::manifest::LoadSample {
                    load_average: [0.5, 0.4, 0.3],
                    total_ticks: 1000,
                    steal_ticks: 10,
                },
                after: Some(crate::manifest::LoadSample {
                    load_average: [1.9, 0.9, 0.5],
                    total_ticks: 3000,
                    steal_ticks: 110,
                }),
            }),
            limits: None,
            probe: None,
        },
        method: Method {
            aead: Sampling {
                warm_up_seconds: 0.1,
                min_samples: 10,
                max_samples: 10,
                sample_seconds: 0.02,
            },
            stream: Sampling {
                warm_up_seconds: 0.0,
                min_samples: 5,
                max_samples: 5,
                sample_seconds: 0.0,
            },
            stream_plaintext_bytes: 8 << 20,
            kdf: Sampling {
                warm_up_seconds: 0.0,
                min_samples: 3,
                max_samples: 5,
                sample_seconds: 0.0,
            },
            kdf_peak_memory: "VmHWM".into(),
            kdf_sampling: Some("interleaved rounds".into()),
            aead_open: Some("open_to".into()),
            soft: Some(SoftBuild {
                rustflags: "--cfg aes_backend=\"soft\"".into(),
                backends: BTreeMap::from([("aes".into(), "soft".into())]),
                label: "software only".into(),
            }),
            openssl: Some(OpensslReference {
                version: "OpenSSL 3.0.19".into(),
                command: "openssl speed".into(),
            }),
            cycles_per_byte: "not measured".into(),
            backends: vec!["ring".into(), "rustcrypto".into()],
        },
        aead,
        stream,
        memory_ceiling: vec![
            MemoryFigure {
                threads: 1,
                bytes: 8 << 20,
                bytes_per_second: summary(&[6e9, 6.2e9, 6.1e9]),
            },
            MemoryFigure {
                threads: 2,
                bytes: 8 << 20,
                bytes_per_second: summary(&[11e9, 12e9, 11.5e9]),
            },
        ],
        kdf,
        argon2_reference: Some(Argon2Reference {
            memory_kib: 256 * 1024,
            passes: 2,
            lanes: vec![1, 2],
            rounds: 3,
            implementations: vec![
                Argon2Implementation {
                    name: "C reference, AVX2 (AVX2)".into(),
                    seconds: vec![summary(&[0.44, 0.45, 0.43]), summary(&[0.25, 0.24])],
                },
                Argon2Implementation {
                    name: "e2eb (argon2 crate, parallel)".into(),
                    seconds: vec![summary(&[0.45, 0.46, 0.44]), summary(&[0.27, 0.26])],
                },
            ],
        }),
        vault: Some(sample_vault()),
        notes: vec!["a note".into()],
    }
}

/// A vault section of two engines at one and two clients, with a skipped engine's reason
/// beside it in [`sample_vault_skipped`].
pub fn sample_vault() -> VaultSection {
    let mut figures = Vec::new();
    for (engine, base, database_cpu) in [("sqlite", 400.0, None), ("postgresql", 250.0, Some(0.3))]
    {
        for clients in [1usize, 2] {
            for (operation, scale) in [("register", 1.2), ("login", 1.0), ("wrong-login", 0.8)] {
                let per_second = base * scale * if clients == 2 { 1.5 } else { 1.0 };
                let operations = per_second as u64;
                figures.push(VaultFigure {
                    engine: engine.into(),
                    operation: operation.into(),
                    clients,
                    operations,
                    seconds: 1.0,
                    per_second: operations as f64,
                    latency_p50_seconds: clients as f64 / per_second,
                    latency_p99_seconds: 3.0 * clients as f64 / per_second,
                    server_cpu_seconds: Some(0.8),
                    database_cpu_seconds: database_cpu,
                    per_core_per_second: operations as f64 / (0.8 + database_cpu.unwrap_or(0.0)),
                });
            }
        }
    }
    VaultSection {
        method: "loopback HTTP, identity KSF on the clients".into(),
        phase_seconds: 1.0,
        per_core_basis: vault::PER_CORE_CPU_TIME.into(),
        figures,
        skipped: vec![],
    }
}

/// A vault section whose PostgreSQL engine was skipped.
pub fn sample_vault_skipped() -> VaultSection {
    let mut section = sample_vault();
    section.figures.retain(|figure| figure.engine == "sqlite");
    section.skipped.push(VaultSkip {
        engine: "postgresql".into(),
        reason: "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)".into(),
    });
    section
}

/// Files written before the vault section existed load without it.
#[test]
fn files_without_the_vault_section_load() {
    let mut value = serde_json::to_value(sample_run()).unwrap();
    value.as_object_mut().unwrap().remove("vault");
    let run: Run = serde_json::from_value(value).unwrap();
    assert_eq!(run.vault, None);
    let text = serde_json::to_string(&run).unwrap();
    assert!(!text.contains("\"vault\""), "absent, not null");
}

/// A listed vault section needs figures or the reasons it has none, and sound figures.
#[test]
fn the_vault_section_is_checked() {
    let mut run = sample_run();
    run.sections.push("vault".into());
    assert!(run.check().is_ok());
    let mut skipped_all = run.clone();
    let vault = skipped_all.vault.as_mut().unwrap();
    vault.figures.clear();
    vault.skipped = sample_vault_skipped().skipped;
    assert!(skipped_all.check().is_ok());
    let mut none = run.clone();
    none.vault = None;
    assert!(matches!(none.check(), Err(InvalidRun::EmptySection(s)) if s == "vault"));
    let mut broken = run.clone();
    broken.vault.as_mut().unwrap().figures[2].latency_p99_seconds = 0.0;
    assert!(matches!(
        broken.check(),
        Err(InvalidRun::Figure { what, .. }) if what == "vault.figures[2]"
    ));
}

/// Files written before the reference comparison existed load without it.
#[test]
fn files_without_the_argon2_reference_load() {
    let mut value = serde_json::to_value(sample_run()).unwrap();
    value.as_object_mut().unwrap().remove("argon2_reference");
    let run: Run = serde_json::from_value(value).unwrap();
    assert_eq!(run.argon2_reference, None);
    let text = serde_json::to_string(&run).unwrap();
    assert!(!text.contains("argon2_reference"), "absent, not null");
}

/// Files written before the memory ceiling was measured load without it.
#[test]
fn files_without_the_memory_ceiling_load() {
    let mut value = serde_json::to_value(sample_run()).unwrap();
    value.as_object_mut().unwrap().remove("memory_ceiling");
    let run: Run = serde_json::from_value(value).unwrap();
    assert!(run.memory_ceiling.is_empty());
    let text = serde_json::to_string(&run).unwrap();
    assert!(!text.contains("memory_ceiling"), "absent, not empty");
}

#[test]
fn a_run_round_trips_through_json() {
    let run = sample_run();
    let text = serde_json::to_string_pretty(&run).unwrap();
    let back: Run = serde_json::from_str(&text).unwrap();
    assert_eq!(back, run);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["kdf"][0]["kdf"], "argon2id",
        "the KDF tag is flattened"
    );
    assert_eq!(value["kdf"][0]["memory_kib"], 16384);
}

/// Files written before backends existed still load, and read as RustCrypto's figures.
#[test]
fn files_without_backends_load_as_rustcrypto() {
    let mut value = serde_json::to_value(sample_run()).unwrap();
    value["method"].as_object_mut().unwrap().remove("backends");
    for list in ["aead", "stream"] {
        for figure in value[list].as_array_mut().unwrap() {
            figure.as_object_mut().unwrap().remove("backend");
            figure.as_object_mut().unwrap().remove("mode");
        }
    }
    let run: Run = serde_json::from_value(value).unwrap();
    assert_eq!(run.default_backend(), "rustcrypto");
    assert_eq!(run.aead[0].backend_name(), "rustcrypto");
    assert_eq!(run.stream[0].backend_name(), "rustcrypto");
    assert_eq!(run.stream[0].mode_name(), "stream");
    assert!(
        run.aead_figure("native", "aes-256-gcm", "seal", 16384)
            .is_some()
    );
}

#[test]
fn native_figures_are_the_default_backends_unless_named() {
    let run = sample_run();
    assert_eq!(run.default_backend(), "ring");
    assert_eq!(run.native_backends(), ["ring", "rustcrypto"]);
    let native = run
        .aead_figure("native", "aes-256-gcm", "seal", 16384)
        .unwrap();
    assert_eq!(native.backend_name(), "ring");
    let reference = run
        .backend_aead_figure("rustcrypto", "aes-256-gcm", "seal", 16384)
        .unwrap();
    assert!(reference.bytes_per_second.median < native.bytes_per_second.median);
}

#[test]
fn saves_under_the_host_folder_and_loads_back() {
    let folder = std::env::temp_dir().join(format!("xtask-schema-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let run = sample_run();
    let path = run.save(&folder).unwrap();
    assert_eq!(
        path,
        folder.join("test-cpu-2t-8g/2026-11-30T07-45-12Z.json")
    );
    std::fs::write(folder.join("test-cpu-2t-8g/broken.json"), "{").unwrap();
    let (hosts, errors) = load_all(&folder);
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0].1, vec![run]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn newer_schemas_are_refused() {
    let folder = std::env::temp_dir().join(format!("xtask-newer-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let mut run = sample_run();
    run.schema_version = SCHEMA_VERSION + 1;
    let path = folder.join("run.json");
    std::fs::write(&path, serde_json::to_string(&run).unwrap()).unwrap();
    assert!(Run::load(&path).unwrap_err().contains("newer"));
    std::fs::remove_dir_all(&folder).unwrap();
}

/// Every key a run writes is documented in reports/SCHEMA.md.
#[test]
fn schema_document_names_every_field() {
    let schema = include_str!("../../../../reports/SCHEMA.md");
    let value = serde_json::to_value(sample_run()).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    collect_keys(&value, &mut keys, false);
    let missing: Vec<&String> = keys
        .iter()
        .filter(|key| !schema.contains(&format!("`{key}`")))
        .collect();
    assert!(missing.is_empty(), "undocumented fields: {missing:?}");
}

#[cfg(test)]
fn collect_keys(
    value: &serde_json::Value,
    keys: &mut std::collections::BTreeSet<String>,
    free_form: bool,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                if !free_form {
                    keys.insert(key.clone());
                }
                // Maps keyed by data (crate names, CPU flags, settings) are not fields.
                let child_free = matches!(
                    key.as_str(),
                    "crates" | "cpu_features" | "backends" | "profile_settings"
                );
                collect_keys(child, keys, child_free);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_keys(item, keys, false);
            }
        }
        _ => {}
    }
}

#[test]
fn a_sample_run_parses_and_every_kind_of_garbage_is_named() {
    let run = sample_run();
    let text = serde_json::to_string(&run).unwrap();
    assert_eq!(Run::parse(&text).unwrap(), run);

    let refused = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut value = serde_json::to_value(&run).unwrap();
        edit(&mut value);
        Run::parse(&value.to_string()).unwrap_err().to_string()
    };
    let error = Run::parse("{\"schema_version\": 1}")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("not a run file: missing field"),
        "{error}"
    );
    let error = Run::parse("not json").unwrap_err().to_string();
    assert!(error.starts_with("not a run file: expected"), "{error}");
    let error = refused(&|v| v["schema_version"] = 99.into());
    assert!(error.contains("schema_version 99"), "{error}");
    let error = refused(&|v| v["host"]["host_id"] = "../escape".into());
    assert!(error.contains("host.host_id \"../escape\""), "{error}");
    let error = refused(&|v| v["host"]["timestamp"] = "yesterday".into());
    assert!(error.contains("host.timestamp \"yesterday\""), "{error}");
    let error = refused(&|v| v["profile"] = "huge".into());
    assert!(error.contains("profile \"huge\""), "{error}");
    let error = refused(&|v| v["sections"] = serde_json::json!(["aead", "gpu"]));
    assert!(
        error.contains("\"gpu\" is not aead, stream, kdf or vault"),
        "{error}"
    );
    let error = refused(&|v| v["kdf"] = serde_json::json!([]));
    assert_eq!(error, "section kdf is listed but has no figures");
    let error = refused(&|v| v["aead"][2]["bytes_per_second"]["median"] = (-1.0).into());
    assert_eq!(
        error,
        "aead[2]: a sample or quartile is not a positive number"
    );
}
