//! What a person at a terminal meets: the real `e2eb` binary run in a pseudo-terminal for its
//! prompts, spinner and bars, and in pipelines for its default output, exit statuses and
//! messages.
#![cfg(unix)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rexpect::process::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

/// A KDF slow enough (a second or so) for its spinner to be drawn several times.
const SLOW_ARGON2ID: &str = "m=65536,t=24,p=1";
const FAST_ARGON2ID: &str = "m=64,t=1,p=1";

const USAGE: i32 = 2;

fn binary() -> PathBuf {
    PathBuf::from(assert_cmd::cargo::cargo_bin!("e2eb"))
}

fn e2eb() -> Command {
    let mut command = Command::new(binary());
    command.stdin(Stdio::null());
    command
}

/// Runs `e2eb ARGS` in a pseudo-terminal that is its stdin, stdout and stderr.
fn in_terminal(args: &[&str], dir: &Path) -> PtySession {
    let mut command = Command::new(binary());
    command.args(args).current_dir(dir);
    spawn_command(command, Some(30_000)).expect("spawn in a pseudo-terminal")
}

/// Runs the shell line `script` in a pseudo-terminal, with `e2eb` on the PATH: for runs whose
/// stdout is redirected while stderr stays the terminal.
fn shell_in_terminal(script: &str, dir: &Path) -> PtySession {
    let mut command = Command::new("sh");
    let path = format!(
        "{}:{}",
        binary().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    command
        .args(["-c", script])
        .env("PATH", path)
        .current_dir(dir);
    spawn_command(command, Some(30_000)).expect("spawn in a pseudo-terminal")
}

fn exit_code(session: &PtySession) -> i32 {
    match session.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("e2eb did not exit: {other:?}"),
    }
}

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn keygen(&self) -> PathBuf {
        let key = self.path("key");
        let status = e2eb()
            .args(["keygen", "-o"])
            .arg(&key)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        key
    }

    /// A backup of `plain` under the recovery key `key`.
    fn backup(&self, name: &str, plain: &Path, key: &Path) -> PathBuf {
        let backup = self.path(name);
        let status = e2eb()
            .arg("encrypt")
            .arg(plain)
            .arg("-o")
            .arg(&backup)
            .arg("--recovery-key-file")
            .arg(key)
            .status()
            .unwrap();
        assert!(status.success());
        backup
    }
}

fn sample(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect()
}

#[test]
fn a_spinner_names_the_kdf_before_the_bytes_bar_on_encrypt_and_decrypt() {
    let scratch = Scratch::new();
    scratch.write("plain", &sample(4 << 20));
    scratch.write("password", b"correct horse\n");
    // The input comes through a pipe that stalls for a second after the first MiB, so that the
    // bar is drawn however fast the machine encrypts.
    let mut encrypt = shell_in_terminal(
        &format!(
            "(head -c 1048576 plain; sleep 1; tail -c +1048577 plain) | \
             e2eb encrypt -o backup --password-file password --kdf-params {SLOW_ARGON2ID}"
        ),
        scratch.dir(),
    );
    let before_spinner = encrypt
        .exp_string("deriving key (Argon2id, 64 MiB, t=24)")
        .unwrap();
    assert!(
        !before_spinner.contains('/'),
        "a bar drawn before the spinner: {before_spinner:?}"
    );
    // The elapsed time (the session reads bytes as Latin-1: the ellipsis is three characters),
    // then the bar once the key is there.
    encrypt.exp_regex(r"t=24\)\S* \d+s").unwrap();
    encrypt.exp_string("encrypting ").unwrap();
    encrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&encrypt), 0);

    // A named backup: the spinner names the KDF its header asks for.
    let mut decrypt = in_terminal(
        &[
            "decrypt",
            "backup",
            "-o",
            "restored",
            "--password-file",
            "password",
        ],
        scratch.dir(),
    );
    decrypt
        .exp_string("deriving key (Argon2id, 64 MiB, t=24)")
        .unwrap();
    decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 0);
    assert_eq!(
        std::fs::read(scratch.path("restored")).unwrap(),
        std::fs::read(scratch.path("plain")).unwrap()
    );

    // A piped backup: the bar follows the spinner.
    let mut decrypt = shell_in_terminal(
        "(head -c 1048576 backup; sleep 1; tail -c +1048577 backup) | \
         e2eb decrypt -o restored-again --password-file password",
        scratch.dir(),
    );
    // The KDF is named once its header has come through the pipe.
    decrypt
        .exp_string("deriving key (Argon2id, 64 MiB, t=24)")
        .unwrap();
    decrypt.exp_string("decrypting ").unwrap();
    decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 0);
}

#[test]
fn plaintext_shown_on_the_terminal_has_no_bar_above_or_within_it() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let mut text = String::new();
    for line in 0..20_000 {
        text.push_str(&format!("line {line} of the plaintext\n"));
    }
    let plain = scratch.write("plain", text.as_bytes());
    scratch.write("password", b"correct horse\n");
    let status = e2eb()
        .arg("encrypt")
        .arg(&plain)
        .args([
            "-o",
            "backup",
            "--password-file",
            "password",
            "--kdf-params",
        ])
        .arg(SLOW_ARGON2ID)
        .arg("--recovery-key-file")
        .arg(&key)
        .current_dir(scratch.dir())
        .status()
        .unwrap();
    assert!(status.success());

    let mut decrypt = in_terminal(
        &[
            "decrypt",
            "backup",
            "-o",
            "-",
            "--password-file",
            "password",
        ],
        scratch.dir(),
    );
    let before = decrypt.exp_string("line 0 of the plaintext").unwrap();
    let rest = decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 0);
    assert!(before.contains("deriving key"), "{before:?}");
    // The spinner's line was cleared before the first byte of plaintext: nothing of it is left
    // after the last clearing of the line.
    let after_clearing = before.rsplit("\x1b[2K").next().unwrap();
    assert!(
        !after_clearing.contains("deriving"),
        "a stale spinner line above the plaintext: {before:?}"
    );
    assert!(!rest.contains("decrypting"), "a bar within the plaintext");
    assert!(rest.contains("line 19999 of the plaintext"));
}

#[test]
fn mismatched_passwords_get_two_more_tries_and_slots_are_numbered_as_inspect_does() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    scratch.write("plain", b"secret data");
    let mut encrypt = in_terminal(
        &[
            "encrypt",
            "plain",
            "-o",
            "backup",
            "--recovery-key-file",
            key.to_str().unwrap(),
            "--password",
            "--kdf-params",
            FAST_ARGON2ID,
            "--accept-weak-kdf",
        ],
        scratch.dir(),
    );
    encrypt.exp_string("Password for key slot 1: ").unwrap();
    encrypt.send_line("first try").unwrap();
    encrypt.exp_string("Repeat the password: ").unwrap();
    encrypt.send_line("first tyr").unwrap();
    encrypt
        .exp_string("the two passwords typed differ; try again (2 tries left)")
        .unwrap();
    encrypt.exp_string("Password for key slot 1: ").unwrap();
    encrypt.send_line("").unwrap();
    encrypt
        .exp_string("the password is empty; try again (1 try left)")
        .unwrap();
    encrypt.exp_string("Password for key slot 1: ").unwrap();
    encrypt.send_line("third try").unwrap();
    encrypt.exp_string("Repeat the password: ").unwrap();
    encrypt.send_line("third try").unwrap();
    encrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&encrypt), 0);

    let inspect = e2eb()
        .args(["inspect", "backup"])
        .current_dir(scratch.dir())
        .output()
        .unwrap();
    let report = String::from_utf8(inspect.stdout).unwrap();
    let password_slot = report
        .lines()
        .find(|line| line.contains("argon2id"))
        .expect("a password slot");
    assert!(
        password_slot.starts_with("key slot 1:"),
        "inspect numbers the prompted slot differently: {report}"
    );
    scratch.write("password", b"third try\n");
    let status = e2eb()
        .args([
            "decrypt",
            "backup",
            "-o",
            "restored",
            "--password-file",
            "password",
        ])
        .current_dir(scratch.dir())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn three_mismatches_end_the_run_with_nothing_written() {
    let scratch = Scratch::new();
    scratch.write("plain", b"secret data");
    let mut encrypt = in_terminal(
        &["encrypt", "plain", "-o", "backup", "--password"],
        scratch.dir(),
    );
    for _ in 0..3 {
        encrypt.exp_string("Password for key slot 0: ").unwrap();
        encrypt.send_line("one").unwrap();
        encrypt.exp_string("Repeat the password: ").unwrap();
        encrypt.send_line("two").unwrap();
    }
    encrypt
        .exp_string("error: the two passwords typed differ (3 tries)")
        .unwrap();
    encrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&encrypt), 1);
    assert!(!scratch.path("backup").exists());
}

#[test]
fn a_mistyped_recovery_key_can_be_typed_again() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let plain = scratch.write("plain", b"secret data");
    scratch.backup("backup", &plain, &key);
    let key_text: String = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect();
    let mut decrypt = in_terminal(
        &["decrypt", "backup", "-o", "restored", "--recovery-key"],
        scratch.dir(),
    );
    decrypt.exp_string("Recovery key: ").unwrap();
    // One digit short.
    decrypt.send_line(&key_text[..key_text.len() - 1]).unwrap();
    decrypt.exp_string("the recovery key typed: ").unwrap();
    decrypt.exp_string("try again (2 tries left)").unwrap();
    decrypt.exp_string("Recovery key: ").unwrap();
    decrypt.send_line(&key_text).unwrap();
    decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 0);
    assert_eq!(
        std::fs::read(scratch.path("restored")).unwrap(),
        b"secret data"
    );
}

#[test]
fn ctrl_c_at_a_prompt_exits_130_without_an_error() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let plain = scratch.write("plain", b"secret data");
    scratch.backup("backup", &plain, &key);
    let mut decrypt = in_terminal(
        &["decrypt", "backup", "-o", "restored", "--recovery-key"],
        scratch.dir(),
    );
    decrypt.exp_string("Recovery key: ").unwrap();
    decrypt.send("0123").unwrap();
    decrypt.send_control('c').unwrap();
    let said = decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 130, "{said:?}");
    assert!(!said.contains("error"), "{said:?}");
    assert!(said.contains("interrupted"), "{said:?}");
    assert!(!scratch.path("restored").exists());
}

#[test]
fn ctrl_d_at_a_prompt_ends_its_line() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let plain = scratch.write("plain", b"secret data");
    scratch.backup("backup", &plain, &key);
    let mut decrypt = in_terminal(
        &["decrypt", "backup", "-o", "restored", "--password"],
        scratch.dir(),
    );
    decrypt.exp_string("Password: ").unwrap();
    decrypt.send_control('d').unwrap();
    let said = decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 1);
    assert!(
        said.starts_with("\r\n") || said.starts_with('\n'),
        "the message continues the prompt's line: {said:?}"
    );
    assert!(said.contains("e2eb: error: nothing was typed"), "{said:?}");
}

#[test]
fn output_defaults_to_stdout_unless_it_is_a_terminal() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let data = sample(100_000);
    let plain = scratch.write("plain", &data);

    // Not a terminal: stdout, as `> backup` means.
    let backup = e2eb()
        .arg("encrypt")
        .arg(&plain)
        .arg("--recovery-key-file")
        .arg(&key)
        .output()
        .unwrap();
    assert!(backup.status.success(), "{backup:?}");
    let backup_path = scratch.write("backup", &backup.stdout);
    let restored = e2eb()
        .arg("decrypt")
        .arg(&backup_path)
        .arg("--recovery-key-file")
        .arg(&key)
        .output()
        .unwrap();
    assert!(restored.status.success(), "{restored:?}");
    assert_eq!(restored.stdout, data);

    // A terminal: refused, saying what to do instead.
    let key = key.to_str().unwrap();
    let mut encrypt = in_terminal(
        &["encrypt", "plain", "--recovery-key-file", key],
        scratch.dir(),
    );
    encrypt
        .exp_string(
            "refusing to write a backup to a terminal (stdout); use -o FILE or redirect stdout",
        )
        .unwrap();
    encrypt.exp_eof().unwrap();
    assert_ne!(exit_code(&encrypt), 0);
    let mut decrypt = in_terminal(
        &["decrypt", "backup", "--recovery-key-file", key],
        scratch.dir(),
    );
    decrypt.exp_string("stdout is a terminal").unwrap();
    decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), USAGE);
}

#[test]
fn a_backup_piped_out_is_made_with_the_terminal_for_the_prompt() {
    let scratch = Scratch::new();
    scratch.write("plain", b"secret data");
    let mut encrypt = shell_in_terminal(
        &format!(
            "e2eb encrypt plain --password --kdf-params {FAST_ARGON2ID} --accept-weak-kdf > backup"
        ),
        scratch.dir(),
    );
    encrypt.exp_string("Password for key slot 0: ").unwrap();
    encrypt.send_line("pass phrase").unwrap();
    encrypt.exp_string("Repeat the password: ").unwrap();
    encrypt.send_line("pass phrase").unwrap();
    encrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&encrypt), 0);
    scratch.write("password", b"pass phrase\n");
    let restored = e2eb()
        .args(["decrypt", "backup", "--password-file", "password"])
        .current_dir(scratch.dir())
        .output()
        .unwrap();
    assert_eq!(restored.stdout, b"secret data");
}

#[test]
fn no_backup_on_a_terminal_stdin_is_a_usage_error() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let mut decrypt = in_terminal(
        &[
            "decrypt",
            "-o",
            "out",
            "--recovery-key-file",
            key.to_str().unwrap(),
        ],
        scratch.dir(),
    );
    decrypt.exp_string("no backup given").unwrap();
    decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), USAGE);
}

/// Sends `signal` to an encryption that waits on its stdin, and returns its exit status.
fn status_after(signal: &str) -> Option<i32> {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let mut child = e2eb()
        .args(["encrypt", "-", "-o"])
        .arg(scratch.path("out"))
        .arg("--recovery-key-file")
        .arg(&key)
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Long enough for the handler to be installed and the run to wait on its input.
    std::thread::sleep(Duration::from_millis(300));
    let sent = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    // Kept open until the run ended: `wait` would close it, and the run could then complete.
    let stdin = child.stdin.take();
    let status = child.wait().unwrap();
    drop(stdin);
    assert!(!scratch.path("out").exists());
    status.code()
}

#[test]
fn termination_signals_exit_with_128_plus_their_number() {
    assert_eq!(status_after("INT"), Some(130));
    assert_eq!(status_after("TERM"), Some(143));
    assert_eq!(status_after("HUP"), Some(129));
}

#[test]
fn a_closed_pipe_ends_the_run_silently() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let plain = scratch.write("plain", &sample(8 << 20));
    let backup = scratch.backup("backup", &plain, &key);
    let mut child = e2eb()
        .arg("decrypt")
        .arg(&backup)
        .args(["-o", "-", "--recovery-key-file"])
        .arg(&key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // As `| head -c 100`: read a little, then close the pipe.
    let mut start = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut start).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(stderr, "", "a message for a closed pipe");
    assert_eq!(status.code(), Some(141));
}

#[test]
fn a_word_after_password_is_explained_and_never_echoed() {
    let scratch = Scratch::new();
    let plain = scratch.write("plain", b"data");
    for args in [
        vec![
            "encrypt",
            "plain",
            "--password",
            "Hunter2Secret",
            "-o",
            "out",
        ],
        vec!["encrypt", "plain", "--password=Hunter2Secret", "-o", "out"],
        vec![
            "decrypt",
            "plain",
            "--password",
            "Hunter2Secret",
            "-o",
            "out",
        ],
        vec!["decrypt", "plain", "--password=Hunter2Secret", "-o", "out"],
    ] {
        let output = e2eb()
            .args(&args)
            .current_dir(scratch.dir())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(USAGE), "{args:?}: {stderr}");
        assert!(stderr.contains("--password takes no value"), "{stderr}");
        assert!(stderr.contains("--password-file"), "{stderr}");
        assert!(
            !stderr.contains("Hunter2Secret"),
            "the word echoed: {stderr}"
        );
    }
    // Without IN, clap takes the word as IN: opening it must not echo it either.
    for args in [
        vec!["encrypt", "--password", "Hunter2Secret", "-o", "out"],
        vec!["decrypt", "--password", "Hunter2Secret", "-o", "out"],
    ] {
        let output = e2eb()
            .args(&args)
            .current_dir(scratch.dir())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(USAGE), "{args:?}: {stderr}");
        assert!(stderr.contains("--password takes no value"), "{stderr}");
        assert!(
            stderr.contains("it was taken as the input file"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("Hunter2Secret"),
            "the word echoed: {stderr}"
        );
    }
    // An IN that exists right after --password is IN, as it always was.
    let output = e2eb()
        .args(["encrypt", "--password", "plain", "-o", "out"])
        .current_dir(scratch.dir())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("takes no value"), "{stderr}");
    assert!(plain.exists());
    assert!(!scratch.path("out").exists());
    // A positional IN after --password is no value of it.
    let key = scratch.keygen();
    let backup = scratch.backup("backup", &plain, &key);
    let status = e2eb()
        .args(["decrypt", "--recovery-key-file"])
        .arg(&key)
        .arg(&backup)
        .args(["-o", "restored"])
        .current_dir(scratch.dir())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn more_threads_than_cpus_are_warned_about() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let plain = scratch.write("plain", b"data");
    let cpus = std::thread::available_parallelism().unwrap().get();
    let output = e2eb()
        .arg("encrypt")
        .arg(&plain)
        .args(["-o", "backup", "--threads"])
        .arg((cpus + 1).to_string())
        .arg("--recovery-key-file")
        .arg(&key)
        .current_dir(scratch.dir())
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: --threads {} is more than the {cpus} CPUs",
            cpus + 1
        )),
        "{stderr}"
    );
    let output = e2eb()
        .args(["decrypt", "backup", "-o", "restored", "--threads"])
        .arg(cpus.to_string())
        .arg("--recovery-key-file")
        .arg(&key)
        .current_dir(scratch.dir())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn a_whatsapp_backup_given_to_decrypt_gets_a_hint() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    scratch.write("msgstore.db.crypt15", &sample(4096));
    let output = e2eb()
        .args([
            "decrypt",
            "msgstore.db.crypt15",
            "-o",
            "out",
            "--recovery-key-file",
        ])
        .arg(&key)
        .current_dir(scratch.dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("hint: this looks like a WhatsApp backup"),
        "{stderr}"
    );
    assert!(stderr.contains("e2eb whatsapp decrypt"), "{stderr}");
}

#[test]
fn a_recovery_key_file_given_as_a_password_file_is_refused_with_a_hint() {
    let scratch = Scratch::new();
    let key = scratch.keygen();
    let plain = scratch.write("plain", b"data");
    let backup = scratch.backup("backup", &plain, &key);
    for (command, input) in [("encrypt", &plain), ("decrypt", &backup)] {
        let output = e2eb()
            .arg(command)
            .arg(input)
            .args(["-o", "out", "--password-file"])
            .arg(&key)
            .current_dir(scratch.dir())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(USAGE), "{command}: {stderr}");
        assert!(
            stderr.contains("holds a recovery key, not a password: use --recovery-key-file"),
            "{stderr}"
        );
        assert!(!scratch.path("out").exists());
    }
}

/// The shell lines of the README's quick start, from `e2eb keygen` to the end of its block.
fn quick_start(readme: &str) -> String {
    let section = readme
        .split("## The command-line tool")
        .nth(1)
        .expect("the README's command-line section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("its first sh block");
    let start = block
        .find("e2eb keygen")
        .expect("the quick start begins with keygen");
    block[start..].to_owned()
}

#[test]
fn the_readme_quick_start_runs_top_to_bottom() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let Ok(readme) = std::fs::read_to_string(&readme_path) else {
        // Built from its package, outside the repository: there is no README of the workspace.
        eprintln!("no {}: not in the repository", readme_path.display());
        return;
    };
    let script = quick_start(&readme);
    let scratch = Scratch::new();
    scratch.write("msgstore.db", &sample(300_000));
    let mut run = shell_in_terminal(&format!("set -e\n{script}"), scratch.dir());
    loop {
        let (_, matched) = run
            .exp_any(vec![
                rexpect::ReadUntil::String("Password for key slot".to_owned()),
                rexpect::ReadUntil::String("Repeat the password: ".to_owned()),
                rexpect::ReadUntil::String("Password: ".to_owned()),
                rexpect::ReadUntil::EOF,
            ])
            .unwrap();
        if matched.starts_with("Password for key slot") {
            run.exp_string(": ").unwrap();
        } else if matched.is_empty() || !matched.contains("assword") {
            // The end: exp_any gives the rest of the output.
            assert!(matched.contains("restored: identical"), "{matched:?}");
            break;
        }
        run.send_line("the quick start's password").unwrap();
    }
    assert_eq!(exit_code(&run), 0);
}

#[test]
fn help_is_wrapped_to_the_width_of_a_terminal() {
    for command in [
        &["--help"][..],
        &["encrypt", "--help"],
        &["decrypt", "--help"],
    ] {
        let output = e2eb().args(command).output().unwrap();
        assert!(output.status.success());
        let help = String::from_utf8(output.stdout).unwrap();
        // Without a terminal to measure, clap wraps at 100 columns (all but the usage line,
        // which it never breaks).
        let longest = help
            .lines()
            .filter(|line| !line.starts_with("Usage:"))
            .map(|line| line.chars().count())
            .max()
            .unwrap();
        assert!(
            longest <= 100,
            "{command:?}: a {longest}-column line:\n{help}"
        );
    }
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _e2eb"),
        ("zsh", "#compdef e2eb"),
        ("fish", "complete -c e2eb"),
        ("elvish", "edit:completion:arg-completer[e2eb]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = e2eb().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("recovery-key-file"), "{shell}");
    }
    let output = e2eb().args(["completions", "cmd.exe"]).output().unwrap();
    assert_eq!(output.status.code(), Some(USAGE));
}

#[test]
fn manual_pages_are_written_for_every_command() {
    let scratch = Scratch::new();
    let status = e2eb()
        .arg("--write-manpages")
        .arg(scratch.dir())
        .status()
        .unwrap();
    assert!(status.success());
    for page in [
        "e2eb.1",
        "e2eb-encrypt.1",
        "e2eb-decrypt.1",
        "e2eb-whatsapp-decrypt.1",
    ] {
        let roff = std::fs::read_to_string(scratch.path(page)).unwrap();
        assert!(roff.contains(".SH NAME"), "{page}");
    }
    assert!(!scratch.path("e2eb-help.1").exists());
}

#[test]
fn convert_asks_for_its_passwords_before_drawing_the_bar() {
    let scratch = Scratch::new();
    let key = e2eb_whatsapp::Crypt15Key::from_bytes([0x5c; 32]);
    let backup = e2eb_whatsapp::encrypt_to_vec(
        &key,
        &e2eb_whatsapp::EncryptOptions::default(),
        &sample(1 << 20),
    )
    .unwrap();
    scratch.write("in.crypt15", &backup);
    let digits: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    scratch.write("key.txt", format!("{digits}\n").as_bytes());
    let mut convert = in_terminal(
        &[
            "whatsapp",
            "convert",
            "in.crypt15",
            "--key-file",
            "key.txt",
            "-o",
            "out.e2eb",
            "--password",
            "--kdf-params",
            FAST_ARGON2ID,
            "--accept-weak-kdf",
        ],
        scratch.dir(),
    );
    let before_prompt = convert.exp_string("Password for key slot 0: ").unwrap();
    assert!(
        !before_prompt.contains("converting"),
        "a bar drawn before the prompt: {before_prompt:?}"
    );
    convert.send_line("correct horse").unwrap();
    convert.exp_string("Repeat the password: ").unwrap();
    convert.send_line("correct horse").unwrap();
    convert.exp_eof().unwrap();
    assert_eq!(exit_code(&convert), 0);
    assert!(scratch.dir().join("out.e2eb").is_file());
}

/// A backup of `data` with one password slot (`password`, FAST_ARGON2ID) and one recovery-key
/// slot; returns the key file.
fn password_backup(scratch: &Scratch, data: &[u8], password: &str) -> PathBuf {
    let key = scratch.keygen();
    scratch.write("plain", data);
    scratch.write("password", format!("{password}\n").as_bytes());
    let status = e2eb()
        .args([
            "encrypt",
            "plain",
            "-o",
            "backup",
            "--password-file",
            "password",
        ])
        .args(["--recovery-key-file", key.to_str().unwrap()])
        .args(["--kdf-params", FAST_ARGON2ID, "--accept-weak-kdf"])
        .current_dir(scratch.dir())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    key
}

#[test]
fn a_wrong_password_at_the_prompt_can_be_typed_again() {
    let scratch = Scratch::new();
    password_backup(&scratch, b"secret data", "correct horse");
    let mut decrypt = in_terminal(
        &["decrypt", "backup", "-o", "restored", "--password"],
        scratch.dir(),
    );
    decrypt.exp_string("Password: ").unwrap();
    decrypt.send_line("correct hrose").unwrap();
    decrypt
        .exp_string("wrong password: it opens no key slot; try again (2 tries left)")
        .unwrap();
    decrypt.exp_string("Password: ").unwrap();
    decrypt.send_line("correct horse").unwrap();
    let said = decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 0, "{said:?}");
    assert_eq!(
        std::fs::read(scratch.path("restored")).unwrap(),
        b"secret data"
    );
}

#[test]
fn three_wrong_passwords_end_the_run_with_nothing_written() {
    let scratch = Scratch::new();
    password_backup(&scratch, b"secret data", "correct horse");
    let mut decrypt = in_terminal(
        &["decrypt", "backup", "-o", "restored", "--password"],
        scratch.dir(),
    );
    for left in ["2 tries left", "1 try left"] {
        decrypt.exp_string("Password: ").unwrap();
        decrypt.send_line("wrong").unwrap();
        decrypt.exp_string(left).unwrap();
    }
    decrypt.exp_string("Password: ").unwrap();
    decrypt.send_line("wrong").unwrap();
    let said = decrypt.exp_eof().unwrap();
    assert!(
        said.contains("e2eb: error: backup: wrong password"),
        "{said:?}"
    );
    assert!(said.contains("(3 tries)"), "{said:?}");
    assert!(!said.contains("Password: "), "a fourth prompt: {said:?}");
    assert_eq!(exit_code(&decrypt), 3);
    assert!(!scratch.path("restored").exists());
}

#[test]
fn a_wrong_recovery_key_at_the_prompt_gets_typo_help_and_another_try_even_from_a_pipe() {
    let scratch = Scratch::new();
    let key = password_backup(&scratch, b"secret data", "correct horse");
    let key_text: String = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .collect();
    let mut mistyped: Vec<char> = key_text.chars().collect();
    let place = 6 * 5 + 2;
    let right = mistyped[place];
    let wrong = if right == '8' { '9' } else { '8' };
    mistyped[place] = wrong;
    let mistyped: String = mistyped.into_iter().collect();
    // The backup comes through a pipe: its header is not there to read again.
    let mut decrypt = shell_in_terminal(
        "cat backup | e2eb decrypt -o restored --recovery-key",
        scratch.dir(),
    );
    decrypt.exp_string("Recovery key: ").unwrap();
    decrypt.send_line(&mistyped).unwrap();
    decrypt
        .exp_string(&format!(
            "one digit looks mistyped: group 7, digit 3: you typed {wrong}, the backup opens \
             with {right}"
        ))
        .unwrap();
    decrypt.exp_string("(2 tries left)").unwrap();
    decrypt.exp_string("Recovery key: ").unwrap();
    decrypt.send_line(&key_text).unwrap();
    let said = decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 0, "{said:?}");
    assert_eq!(
        std::fs::read(scratch.path("restored")).unwrap(),
        b"secret data"
    );
}

/// The lines a terminal `width` columns wide shows after `output`: carriage returns, line
/// feeds, erasing a line (`ESC [ K`, `ESC [ 2K`), moving up (`ESC [ N A`) and wrapping (a
/// character written after the last column starts the next line, as in xterm) are followed;
/// other escapes are dropped.
fn screen(output: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut column) = (0usize, 0usize);
    let mut chars = output.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => column = 0,
            '\n' => {
                row += 1;
                if row == lines.len() {
                    lines.push(Vec::new());
                }
            }
            '\u{1b}' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut parameter = String::new();
                let mut command = ' ';
                for c in chars.by_ref() {
                    if c.is_ascii_digit() || c == ';' || c == '?' {
                        parameter.push(c);
                    } else {
                        command = c;
                        break;
                    }
                }
                let count = parameter.parse::<usize>().unwrap_or(1);
                match (command, parameter.as_str()) {
                    ('K', "2") => lines[row].clear(),
                    ('K', "" | "0") => lines[row].truncate(column),
                    ('A', _) => row = row.saturating_sub(count),
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                if column == width {
                    row += 1;
                    column = 0;
                    if row == lines.len() {
                        lines.push(Vec::new());
                    }
                }
                let line = &mut lines[row];
                while line.len() < column {
                    line.push(' ');
                }
                if column < line.len() {
                    line[column] = c;
                } else {
                    line.push(c);
                }
                column += 1;
            }
        }
    }
    lines
        .into_iter()
        .map(|line| line.into_iter().collect())
        .collect()
}

#[test]
fn ctrl_c_while_deriving_the_key_leaves_no_spinner_on_the_screen() {
    let scratch = Scratch::new();
    scratch.write("plain", b"secret data");
    scratch.write("password", b"correct horse\n");
    let status = e2eb()
        .args([
            "encrypt",
            "plain",
            "-o",
            "backup",
            "--password-file",
            "password",
        ])
        .args(["--kdf-params", SLOW_ARGON2ID])
        .current_dir(scratch.dir())
        .status()
        .unwrap();
    assert!(status.success());
    // Echo on, as in a person's terminal (the session turns it off): Ctrl-C is echoed as "^C"
    // where the cursor is, after the spinner's frame.
    let mut decrypt = shell_in_terminal(
        "stty echo echoctl && exec e2eb decrypt backup -o restored --password-file password",
        scratch.dir(),
    );
    let (before, drawn) = decrypt
        .exp_regex(r"deriving key \(Argon2id[^)]*\)")
        .unwrap();
    decrypt.send_control('c').unwrap();
    let after = decrypt.exp_eof().unwrap();
    assert_eq!(exit_code(&decrypt), 130);
    // The pseudo-terminal reports no size, so bars take the 80 columns console assumes then;
    // the "^C" the terminal echoes shows whether the bar left room for it.
    // The session reads bytes as Latin-1 characters; the screen shows them as UTF-8.
    let bytes: Vec<u8> = format!("{before}{drawn}{after}")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    let shown = screen(&String::from_utf8_lossy(&bytes), 80);
    assert!(
        shown.iter().any(|line| line.contains("e2eb: interrupted")),
        "{shown:#?}"
    );
    assert!(
        !shown.iter().any(|line| line.contains("deriving key")),
        "a spinner frame is left on the screen: {shown:#?}"
    );
    assert!(!scratch.path("restored").exists());
}

#[test]
fn a_typed_password_over_the_backups_kdf_budget_is_refused_without_another_try() {
    let scratch = Scratch::new();
    password_backup(&scratch, b"secret data", "correct horse");
    // The slot asks for 64 KiB of work; a budget of 1 KiB refuses every try before it runs.
    let mut decrypt = in_terminal(
        &[
            "decrypt",
            "backup",
            "-o",
            "restored",
            "--password",
            "--max-backup-kdf-work",
            "1KiB",
        ],
        scratch.dir(),
    );
    decrypt.exp_string("Password: ").unwrap();
    decrypt.send_line("correct horse").unwrap();
    let said = decrypt.exp_eof().unwrap();
    assert!(said.contains("--max-backup-kdf-work"), "{said:?}");
    assert!(!said.contains("Password: "), "asked again: {said:?}");
    assert_eq!(exit_code(&decrypt), 5);
    assert!(!scratch.path("restored").exists());
}
