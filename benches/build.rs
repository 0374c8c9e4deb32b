//! Declares the RustCrypto backend cfgs so the AEAD probe can report which backends it was
//! compiled with (`cargo xtask bench` sets them through RUSTFLAGS for its software-only build).

fn main() {
    for (name, values) in [
        ("aes_backend", r#""soft", "avx256", "avx512""#),
        ("polyval_backend", r#""soft""#),
        ("chacha20_backend", r#""soft", "sse2", "avx2", "avx512""#),
        ("poly1305_backend", r#""soft""#),
    ] {
        println!("cargo::rustc-check-cfg=cfg({name}, values({values}))");
    }
}
