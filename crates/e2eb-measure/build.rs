//! Hands the build settings cargo gives build scripts on to the crate, so that every result
//! records how the code it measured was compiled (this crate holds the measuring loops, and
//! is built with the same profile and flags as the binary that runs them), and declares the
//! RustCrypto backend cfgs it reads.

fn main() {
    for name in [
        "PROFILE",
        "OPT_LEVEL",
        "DEBUG",
        "TARGET",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_CFG_TARGET_FEATURE",
    ] {
        let value = std::env::var(name).unwrap_or_default();
        // cargo joins RUSTFLAGS with 0x1f; spaces read better in a report.
        let value = value.replace('\u{1f}', " ");
        println!("cargo::rustc-env=E2EB_MEASURE_BUILD_{name}={value}");
        println!("cargo::rerun-if-env-changed={name}");
    }
    // The compiler that built the measured code, which may differ from the `rustc` on PATH when
    // the report is written.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("cargo::rustc-env=E2EB_MEASURE_BUILD_RUSTC_VERSION={version}");
    println!("cargo::rerun-if-env-changed=RUSTC");
    // The RustCrypto backend cfgs, so that `bench::aead` can report which backends it was
    // compiled with (`cargo xtask bench` sets them through RUSTFLAGS for its software-only
    // build of the AEAD probe).
    for (name, values) in [
        ("aes_backend", r#""soft", "avx256", "avx512""#),
        ("polyval_backend", r#""soft""#),
        ("chacha20_backend", r#""soft", "sse2", "avx2", "avx512""#),
        ("poly1305_backend", r#""soft""#),
    ] {
        println!("cargo::rustc-check-cfg=cfg({name}, values({values}))");
    }
}
