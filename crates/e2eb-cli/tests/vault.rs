//! Runs the real `e2eb` binary against key vaults served in this test process (loopback,
//! SQLite, 10 attempts): a backup made with `--vault` beside a recovery key, opened by the
//! password after 9 wrong ones, made unopenable by password after 10 while its recovery key
//! still opens it; and the specific error and exit status of each way a vault fails, with
//! nothing written; and at the terminal, a wrong password typed again, each try an attempt.
//!
//! Each login runs the vault's key stretching (Argon2id, 64 MiB, t = 3) in the client, so the
//! tests count their logins.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

use assert_cmd::Command;
use e2eb_vault::server::{ServeOptions, Vault, serve};
use e2eb_vault::setup::Setup;
use e2eb_vault::storage;
use tempfile::TempDir;

/// Exit statuses documented in `e2eb --help`.
const USAGE: i32 = 2;
const WRONG_SECRET: i32 = 3;
const VAULT_UNREACHABLE: i32 = 6;
const VAULT_TLS: i32 = 7;
const VAULT_ERASED: i32 = 8;
const VAULT_MALFORMED: i32 = 9;
const UNKNOWN_VAULT: i32 = 10;
const NO_VAULT_SLOT: i32 = 11;

const PASSWORD: &str = "482916";
const WRONG: &str = "000000";

fn e2eb() -> Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("e2eb");
    // Never inherit a terminal: nothing here may wait on a person.
    command.write_stdin(Vec::<u8>::new());
    command
}

/// Serves a new vault (fresh setup, SQLite in `dir`) on a free loopback port for the rest of
/// the test process; returns its URL.
fn start_vault(dir: &Path) -> String {
    start_vault_with(dir, None)
}

/// As [`start_vault`], over TLS with the certificate and key files `tls` when given.
fn start_vault_with(dir: &Path, tls: Option<(PathBuf, PathBuf)>) -> String {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let db = dir.join("vault.sqlite").to_str().unwrap().to_owned();
    let (listening, address) = mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let store = storage::open(&db).await.unwrap();
            let vault = Arc::new(Vault::new(Setup::generate(), store, 10));
            let options = ServeOptions {
                listen: "127.0.0.1:0".parse().unwrap(),
                tls,
            };
            serve(vault, options, |bound, _| listening.send(bound).unwrap())
                .await
                .unwrap();
        });
    });
    format!("{scheme}://{}", address.recv().unwrap())
}

/// A loopback URL where nothing listens: a port bound, then let go.
fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

fn sample_data(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A loopback server that answers every request with `200 OK` and the body `{}`, which is no
/// message of the vault's protocol; returns its address.
fn malformed_server() -> SocketAddr {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\
                  connection: close\r\n\r\n{}",
            );
        }
    });
    address
}

/// A backup with a vault slot at `url` and a recovery-key slot, of data made here.
struct Made {
    dir: TempDir,
    data: Vec<u8>,
    backup: PathBuf,
    key: PathBuf,
    password: PathBuf,
    wrong: PathBuf,
}

impl Made {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `e2eb decrypt --vault url --password-file password` of the backup into `out`.
    fn decrypt_with_vault(&self, url: &str, password: &Path, out: &Path) -> std::process::Output {
        e2eb()
            .args(["decrypt", "--quiet", "--vault", url, "--password-file"])
            .arg(password)
            .arg(&self.backup)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap()
    }
}

fn make_backup(url: &str, with_recovery_key: bool) -> (Made, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let data = sample_data(100_000);
    let input = dir.path().join("data.bin");
    std::fs::write(&input, &data).unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, format!("{WRONG}\n")).unwrap();
    let key = dir.path().join("recovery.key");
    e2eb().arg("keygen").arg("-o").arg(&key).assert().success();
    let backup = dir.path().join("data.e2eb");
    let mut command = e2eb();
    command
        .args(["encrypt", "--quiet", "--vault", url, "--password-file"])
        .arg(&password);
    if with_recovery_key {
        command.arg("--recovery-key-file").arg(&key);
    }
    let output = command.arg(&input).arg("-o").arg(&backup).output().unwrap();
    (
        Made {
            dir,
            data,
            backup,
            key,
            password,
            wrong,
        },
        output,
    )
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a failure with `status` whose message contains `text`, and that `out` was not
/// created.
fn assert_refused(output: &std::process::Output, status: i32, text: &str, out: &Path) {
    assert_eq!(output.status.code(), Some(status), "{}", stderr(output));
    assert!(
        stderr(output).contains(text),
        "expected {text:?} in {:?}",
        stderr(output)
    );
    assert!(!out.exists(), "{} was written", out.display());
}

/// The "done when": 9 wrong passwords, then the right one opens the backup; 10 wrong
/// ones make the vault erase the key, after which the password no longer opens it (its own
/// error and status, no output) while the recovery-key slot of the same backup still does.
#[test]
fn nine_wrong_then_right_opens_ten_wrong_erase_and_the_recovery_key_still_opens() {
    let vault_dir = tempfile::tempdir().unwrap();
    let url = start_vault(vault_dir.path());
    let (made, output) = make_backup(&url, true);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !stderr(&output).contains("no recovery key"),
        "{}",
        stderr(&output)
    );

    // The header has a vault slot naming this URL beside the recovery-key slot.
    let inspect = e2eb()
        .args(["inspect", "--json"])
        .arg(&made.backup)
        .output()
        .unwrap();
    let inspect = String::from_utf8(inspect.stdout).unwrap();
    assert!(inspect.contains(&url), "{inspect}");

    let out = made.path("out.bin");
    let opened = made.decrypt_with_vault(&url, &made.password, &out);
    assert!(opened.status.success(), "{}", stderr(&opened));
    assert_eq!(std::fs::read(&out).unwrap(), made.data);
    std::fs::remove_file(&out).unwrap();

    for left in (1..=9).rev() {
        let refused = made.decrypt_with_vault(&url, &made.wrong, &out);
        assert_refused(
            &refused,
            WRONG_SECRET,
            &format!("wrong password: {left} attempt"),
            &out,
        );
    }
    let opened = made.decrypt_with_vault(&url, &made.password, &out);
    assert!(opened.status.success(), "{}", stderr(&opened));
    assert_eq!(std::fs::read(&out).unwrap(), made.data);
    std::fs::remove_file(&out).unwrap();

    // The correct login reset the count: 9 more wrong ones leave 1, the 10th erases.
    for left in (1..=9).rev() {
        let refused = made.decrypt_with_vault(&url, &made.wrong, &out);
        assert_refused(
            &refused,
            WRONG_SECRET,
            &format!("wrong password: {left} attempt"),
            &out,
        );
    }
    let erased = made.decrypt_with_vault(&url, &made.wrong, &out);
    assert_refused(&erased, VAULT_ERASED, "erased the key", &out);

    let gone = made.decrypt_with_vault(&url, &made.password, &out);
    assert_refused(&gone, VAULT_ERASED, "holds no key", &out);
    assert!(!stderr(&gone).contains(PASSWORD));

    // The recovery key opens the same backup, without any vault.
    let recovered = e2eb()
        .args(["decrypt", "--quiet", "--recovery-key-file"])
        .arg(&made.key)
        .arg(&made.backup)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(recovered.status.success(), "{}", stderr(&recovered));
    assert_eq!(std::fs::read(&out).unwrap(), made.data);
}

/// An unreachable vault, a server that is no vault, a TLS failure: encrypt writes nothing,
/// decrypt writes nothing, each with its status.
/// A backup without a vault slot is refused before any vault is asked.
#[test]
fn unreachable_vault_and_missing_vault_slot() {
    let url = dead_url();
    let (made, output) = make_backup(&url, true);
    assert_refused(
        &output,
        VAULT_UNREACHABLE,
        "vault unreachable",
        &made.backup,
    );

    // A server that answers with something other than the protocol, over HTTP; and the same
    // server reached over HTTPS, where the TLS handshake fails.
    let malformed = malformed_server();
    let (made_malformed, output) = make_backup(&format!("http://{malformed}"), true);
    assert_refused(
        &output,
        VAULT_MALFORMED,
        "malformed answer from the vault",
        &made_malformed.backup,
    );
    let (made_tls, output) = make_backup(&format!("https://{malformed}"), true);
    assert_refused(
        &output,
        VAULT_TLS,
        "TLS with the vault failed",
        &made_tls.backup,
    );

    // A backup with the recovery key only.
    let plain = made.path("plain.e2eb");
    e2eb()
        .args(["encrypt", "--quiet", "--recovery-key-file"])
        .arg(&made.key)
        .arg(made.path("data.bin"))
        .arg("-o")
        .arg(&plain)
        .assert()
        .success();
    let out = made.path("out.bin");
    let refused = e2eb()
        .args(["decrypt", "--quiet", "--vault", &url, "--password-file"])
        .arg(&made.password)
        .arg(&plain)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_refused(&refused, NO_VAULT_SLOT, "has no vault slot", &out);

    // The backup exists now: the vault is the only thing unreachable.
    let vault_dir = tempfile::tempdir().unwrap();
    let live = start_vault(vault_dir.path());
    let (made, output) = make_backup(&live, true);
    assert!(output.status.success(), "{}", stderr(&output));
    let refused = made.decrypt_with_vault(&url, &made.password, &out);
    // The slot names the live vault; the dead URL given is what is tried, and fails.
    assert_refused(&refused, VAULT_UNREACHABLE, "vault unreachable", &out);
    // Decrypt, like encrypt, tells a malformed answer from a failed TLS handshake.
    let refused = made.decrypt_with_vault(&format!("http://{malformed}"), &made.password, &out);
    assert_refused(
        &refused,
        VAULT_MALFORMED,
        "malformed answer from the vault",
        &out,
    );
    let refused = made.decrypt_with_vault(&format!("https://{malformed}"), &made.password, &out);
    assert_refused(&refused, VAULT_TLS, "TLS with the vault failed", &out);
}

/// Another vault at the URL (another setup): refused before a login, so no attempt of the
/// backup's vault is spent, and its count is untouched. Without a recovery key, encrypt warns.
#[test]
fn another_vault_is_refused_before_any_attempt() {
    let first_dir = tempfile::tempdir().unwrap();
    let first = start_vault(first_dir.path());
    let second_dir = tempfile::tempdir().unwrap();
    let second = start_vault(second_dir.path());
    let (made, output) = make_backup(&first, false);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: this backup will have no recovery key"),
        "{}",
        stderr(&output)
    );

    let out = made.path("out.bin");
    for _ in 0..3 {
        let refused = made.decrypt_with_vault(&second, &made.wrong, &out);
        assert_refused(
            &refused,
            UNKNOWN_VAULT,
            "is not the vault of this backup",
            &out,
        );
        assert!(stderr(&refused).contains("no attempt was spent"));
        // The address the header gives, which was not followed, is named.
        assert!(stderr(&refused).contains(&format!("vault slot gives the address {first:?}")));
    }
    // The first wrong password at the right vault is its first spent attempt.
    let refused = made.decrypt_with_vault(&first, &made.wrong, &out);
    assert_refused(
        &refused,
        WRONG_SECRET,
        "wrong password: 9 attempts left",
        &out,
    );
}

/// `e2eb vault status` reports the attempts (a wrong password costs one and says how many
/// remain; a right one resets them); `e2eb vault delete` erases the account, after which the
/// password no longer opens the backup and the recovery key still does.
#[test]
fn status_and_delete() {
    let vault_dir = tempfile::tempdir().unwrap();
    let url = start_vault(vault_dir.path());
    let (made, output) = make_backup(&url, true);
    assert!(output.status.success(), "{}", stderr(&output));

    let vault = |command: &str, password: &Path| {
        e2eb()
            .args(["vault", command, "--vault", &url, "--password-file"])
            .arg(password)
            .arg(&made.backup)
            .output()
            .unwrap()
    };
    let wrong = vault("status", &made.wrong);
    assert_eq!(
        wrong.status.code(),
        Some(WRONG_SECRET),
        "{}",
        stderr(&wrong)
    );
    assert!(stderr(&wrong).contains("wrong password: 9 attempts left"));
    // The same vault at an address written differently from the header's hint: the address
    // given is used, and the difference is said.
    let status = e2eb()
        .args([
            "vault",
            "status",
            "--vault",
            &format!("{url}/"),
            "--password-file",
        ])
        .arg(&made.password)
        .arg(&made.backup)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(
        stderr(&status).contains("note: the backup's vault slot names"),
        "{}",
        stderr(&status)
    );
    let stdout = String::from_utf8(status.stdout).unwrap();
    assert!(stdout.contains("10 of 10 attempts left"), "{stdout}");

    let deleted = vault("delete", &made.password);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    let out = made.path("out.bin");
    let gone = made.decrypt_with_vault(&url, &made.password, &out);
    assert_refused(&gone, VAULT_ERASED, "holds no key", &out);
    let status = vault("status", &made.password);
    assert_eq!(
        status.status.code(),
        Some(VAULT_ERASED),
        "{}",
        stderr(&status)
    );

    e2eb()
        .args(["decrypt", "--quiet", "--recovery-key-file"])
        .arg(&made.key)
        .arg(&made.backup)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(std::fs::read(&out).unwrap(), made.data);
}

/// `--vault` keeps one password: a second one (which would be a password slot open to offline
/// guessing) is a usage error, refused before the vault is asked or anything is written.
#[test]
fn vault_takes_one_password() {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let out = dir.path().join("out.e2eb");
    let refused = e2eb()
        .args(["encrypt", "--vault", &dead_url(), "--password-file"])
        .arg(&password)
        .arg("--password-file")
        .arg(&password)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_refused(&refused, USAGE, "--vault takes exactly one password", &out);
}

/// A vault password follows a new password slot's rules: a code point Unicode has not assigned
/// (whose normalisation a later version may change) is refused before anything is registered.
#[test]
fn a_vault_password_with_an_unassigned_code_point_is_refused() {
    let vault_dir = tempfile::tempdir().unwrap();
    let url = start_vault(vault_dir.path());
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    std::fs::write(&plain, b"secret data").unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "48\u{0378}916\n").unwrap();
    let out = dir.path().join("out.e2eb");
    let refused = e2eb()
        .arg("encrypt")
        .arg(&plain)
        .args(["--vault", &url, "--password-file"])
        .arg(&password)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_refused(&refused, 1, "character 3 of the password", &out);
    assert!(!stderr(&refused).contains('\u{0378}'));
}

/// At the terminal: the vault's password is asked twice when encrypting; when decrypting, a
/// password the vault calls wrong may be typed again, with the attempts it cost said, and three
/// wrong ones end the run with the attempts left and nothing written.
#[cfg(unix)]
#[test]
fn at_the_terminal_each_try_is_an_attempt_and_says_so() {
    use rexpect::process::WaitStatus;
    use rexpect::session::spawn_command;

    let vault_dir = tempfile::tempdir().unwrap();
    let url = start_vault(vault_dir.path());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain"), b"secret data").unwrap();
    let in_terminal = |args: &[&str]| {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("e2eb"));
        command.args(args).current_dir(dir.path());
        spawn_command(command, Some(60_000)).unwrap()
    };
    let exit_code = |session: &rexpect::session::PtySession| match session.process().wait() {
        Ok(WaitStatus::Exited(_, code)) => code,
        other => panic!("e2eb did not exit: {other:?}"),
    };

    let mut encrypt = in_terminal(&[
        "encrypt",
        "plain",
        "-o",
        "backup",
        "--vault",
        &url,
        "--password",
    ]);
    encrypt.exp_string("no recovery key").unwrap();
    encrypt.exp_string("Password for the key vault: ").unwrap();
    encrypt.send_line(PASSWORD).unwrap();
    encrypt.exp_string("Repeat the password: ").unwrap();
    encrypt.send_line(PASSWORD).unwrap();
    encrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&encrypt), 0);

    let decrypt_args = [
        "decrypt",
        "backup",
        "-o",
        "restored",
        "--vault",
        &url,
        "--password",
    ];
    let mut decrypt = in_terminal(&decrypt_args);
    decrypt.exp_string("Vault password: ").unwrap();
    decrypt.send_line(WRONG).unwrap();
    decrypt
        .exp_string(
            "wrong password: the vault has 9 attempts left before it erases the key, and each \
             try costs one; try again (2 tries left)",
        )
        .unwrap();
    decrypt.exp_string("Vault password: ").unwrap();
    decrypt.send_line(PASSWORD).unwrap();
    decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 0);
    let restored = dir.path().join("restored");
    assert_eq!(std::fs::read(&restored).unwrap(), b"secret data");
    std::fs::remove_file(&restored).unwrap();

    let mut decrypt = in_terminal(&decrypt_args);
    for _ in 0..3 {
        decrypt.exp_string("Vault password: ").unwrap();
        decrypt.send_line(WRONG).unwrap();
    }
    decrypt
        .exp_string("error: wrong password: 7 attempts left before the vault erases the key")
        .unwrap();
    decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), WRONG_SECRET);
    assert!(!restored.exists());
}

/// A backup that fails after its vault account was registered (here a `whatsapp convert` whose
/// input turns out not to be a crypt15 backup) deletes that account again and writes nothing.
#[test]
fn an_account_whose_backup_failed_is_deleted_again() {
    let vault_dir = tempfile::tempdir().unwrap();
    let url = start_vault(vault_dir.path());
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("crypt15.key");
    std::fs::write(&key, format!("{}\n", "0123456789abcdef".repeat(4))).unwrap();
    let not_crypt15 = dir.path().join("msgstore.db.crypt15");
    std::fs::write(&not_crypt15, sample_data(4096)).unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    let out = dir.path().join("out.e2eb");
    let failed = e2eb()
        .args(["whatsapp", "convert", "--quiet", "--key-file"])
        .arg(&key)
        .args(["--vault", &url, "--password-file"])
        .arg(&password)
        .arg(&not_crypt15)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_ne!(failed.status.code(), Some(0), "{}", stderr(&failed));
    assert!(
        stderr(&failed).contains("account registered at the vault for this backup was deleted"),
        "{}",
        stderr(&failed)
    );
    assert!(!out.exists());
}

/// `--vault-ca`: a vault whose certificate no public CA signed is refused as a TLS failure
/// (exit 7, nothing written) until encrypt and decrypt are given its certificate to trust.
#[test]
fn vault_ca_makes_a_privately_certified_vault_trusted() {
    let vault_dir = tempfile::tempdir().unwrap();
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = vault_dir.path().join("vault.pem");
    let key = vault_dir.path().join("vault.key");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let url = start_vault_with(vault_dir.path(), Some((cert.clone(), key)));
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let (made, output) = make_backup(&url, true);
    assert_refused(
        &output,
        VAULT_TLS,
        "TLS with the vault failed",
        &made.backup,
    );

    let encrypted = e2eb()
        .args(["encrypt", "--quiet", "--vault", &url, "--vault-ca"])
        .arg(&cert)
        .arg("--password-file")
        .arg(&made.password)
        .arg("--recovery-key-file")
        .arg(&made.key)
        .arg(made.path("data.bin"))
        .arg("-o")
        .arg(&made.backup)
        .output()
        .unwrap();
    assert!(encrypted.status.success(), "{}", stderr(&encrypted));

    let out = made.path("out.bin");
    let refused = made.decrypt_with_vault(&url, &made.password, &out);
    assert_refused(&refused, VAULT_TLS, "TLS with the vault failed", &out);
    let decrypted = e2eb()
        .args(["decrypt", "--quiet", "--vault", &url, "--vault-ca"])
        .arg(&cert)
        .arg("--password-file")
        .arg(&made.password)
        .arg(&made.backup)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(decrypted.status.success(), "{}", stderr(&decrypted));
    assert_eq!(std::fs::read(&out).unwrap(), made.data);
}
