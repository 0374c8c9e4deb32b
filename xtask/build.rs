//! Hands the build settings cargo gives build scripts on to the binary, so that every result
//! records how the code it measured was compiled.

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
        println!("cargo::rustc-env=XTASK_BUILD_{name}={value}");
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
    println!("cargo::rustc-env=XTASK_BUILD_RUSTC_VERSION={version}");
    println!("cargo::rerun-if-env-changed=RUSTC");
}
