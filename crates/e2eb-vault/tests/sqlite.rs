//! The vault's rules end to end over HTTP against a real `e2eb-vault serve` on SQLite.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use common::*;
use e2eb_vault::protocol::{ErrorCode, ErrorReply, LoginStartReply};
use e2eb_vault::{ClientOptions, VaultClient, VaultError};

const SECRET: [u8; 32] = [0x5a; 32];

fn client(server: &Server) -> VaultClient {
    VaultClient::new(&server.url, &ClientOptions::default()).unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    setup: std::path::PathBuf,
    db: String,
    vault_id: [u8; 32],
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (setup, loaded) = setup_file(dir.path());
    let db = dir.path().join("vault.sqlite").to_str().unwrap().to_owned();
    Fixture {
        setup,
        db,
        vault_id: loaded.vault_id(),
        _dir: dir,
    }
}

#[test]
fn register_login_status_delete_round_trip() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let vault = client(&server);
    let info = vault.info().unwrap();
    assert_eq!(info.vault_id, f.vault_id);
    assert_eq!(info.max_attempts, 10);

    let account = account();
    let registered = vault.register(&account, PASSWORD, &SECRET).unwrap();
    assert_eq!(
        registered.vault_id, f.vault_id,
        "OPAQUE registered the key /v1/info shows"
    );
    assert_eq!(registered.attempts_left, 10);
    assert!(matches!(
        vault.register(&account, b"other", &[1; 32]),
        Err(VaultError::AccountExists)
    ));

    assert_eq!(
        *vault.login(&account, PASSWORD, Some(&f.vault_id)).unwrap(),
        SECRET
    );
    let status = vault.status(&account, PASSWORD, Some(&f.vault_id)).unwrap();
    assert_eq!((status.attempts_left, status.max_attempts), (10, 10));
    vault.delete(&account, PASSWORD, Some(&f.vault_id)).unwrap();
    assert!(matches!(
        vault.login(&account, PASSWORD, None),
        Err(VaultError::NoKey)
    ));
    assert_eq!(stored_attempts(&f.db, &account), None);
}

#[test]
fn correct_password_after_nine_failures_then_ten_failures_erase() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let vault = client(&server);
    let account = account();
    vault.register(&account, PASSWORD, &SECRET).unwrap();

    for expected in (1..=9).rev() {
        match vault.login(&account, WRONG, Some(&f.vault_id)) {
            Err(VaultError::WrongPassword { attempts_left }) => assert_eq!(attempts_left, expected),
            other => panic!("expected a wrong password, got {other:?}"),
        }
    }
    assert_eq!(stored_attempts(&f.db, &account), Some(1));
    // The tenth attempt, with the right password, succeeds and restores the maximum.
    assert_eq!(*vault.login(&account, PASSWORD, None).unwrap(), SECRET);
    assert_eq!(stored_attempts(&f.db, &account), Some(10));

    for expected in (1..=9).rev() {
        let (status, body) = wrong_login_raw(&agent(), &server.url, &account);
        assert_eq!(status, 403, "{body}");
        let reply: ErrorReply = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (reply.error, reply.attempts_left),
            (ErrorCode::WrongPassword, Some(expected))
        );
    }
    assert!(matches!(
        vault.login(&account, WRONG, None),
        Err(VaultError::Erased)
    ));
    assert_eq!(
        stored_attempts(&f.db, &account),
        None,
        "the record is erased"
    );
    assert!(matches!(
        vault.login(&account, PASSWORD, None),
        Err(VaultError::NoKey)
    ));
}

/// Fires `n` wrong-password logins at once (all starts released together by a barrier) and
/// returns each finish's (status, error code, attempts_left).
fn concurrent_wrong_logins(urls: &[String], account: &[u8], n: usize) -> Vec<(u16, ErrorReply)> {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            let url = urls[i % urls.len()].clone();
            let account = account.to_vec();
            std::thread::spawn(move || {
                let agent = agent();
                barrier.wait();
                let (status, body) = wrong_login_raw(&agent, &url, &account);
                (status, serde_json::from_str::<ErrorReply>(&body).unwrap())
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Checks the outcome of 100 concurrent wrong logins against 10 attempts: exactly 10 spent an
/// attempt (told wrong_password or erased), exactly one erased, the other 90 met no key.
pub fn assert_exactly_ten_spent(outcomes: &[(u16, ErrorReply)]) {
    let spent = outcomes
        .iter()
        .filter(|(_, r)| matches!(r.error, ErrorCode::WrongPassword | ErrorCode::Erased))
        .count();
    let erased = outcomes
        .iter()
        .filter(|(s, r)| *s == 410 && r.error == ErrorCode::Erased)
        .count();
    let no_key = outcomes
        .iter()
        .filter(|(s, r)| *s == 404 && r.error == ErrorCode::NoKey)
        .count();
    assert_eq!((spent, erased, no_key), (10, 1, 90), "{outcomes:?}");
}

#[test]
fn hundred_concurrent_wrong_logins_spend_exactly_ten_and_erase() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let account = account();
    client(&server)
        .register(&account, PASSWORD, &SECRET)
        .unwrap();
    let outcomes = concurrent_wrong_logins(std::slice::from_ref(&server.url), &account, 100);
    assert_exactly_ten_spent(&outcomes);
    assert_eq!(
        stored_attempts(&f.db, &account),
        None,
        "the record is erased"
    );
}

#[test]
fn hundred_concurrent_wrong_logins_lose_no_decrement() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &["--max-attempts", "150"], &[]);
    let account = account();
    client(&server)
        .register(&account, PASSWORD, &SECRET)
        .unwrap();
    let outcomes = concurrent_wrong_logins(std::slice::from_ref(&server.url), &account, 100);
    assert!(
        outcomes
            .iter()
            .all(|(s, r)| *s == 403 && r.error == ErrorCode::WrongPassword)
    );
    assert_eq!(stored_attempts(&f.db, &account), Some(50));
}

#[test]
fn malformed_truncated_replayed_and_out_of_order_messages_are_refused() {
    let f = fixture();
    let mut server = Server::start(&f.setup, &f.db, &[], &[]);
    let vault = client(&server);
    let account = account();
    vault.register(&account, PASSWORD, &SECRET).unwrap();
    let agent = agent();
    let start_url = format!("{}/v1/login/start", server.url);
    let finish_url = format!("{}/v1/login/finish", server.url);
    let account_hex = hex::encode(&account);

    let (status, body) = login_start(&agent, &server.url, &account);
    assert_eq!(status, 200);
    let valid_start: LoginStartReply = serde_json::from_str(&body).unwrap();
    let valid_request = {
        use opaque_ke::ClientLogin;
        let started =
            ClientLogin::<e2eb_vault::protocol::Suite>::start(&mut rand_core::OsRng, WRONG)
                .unwrap();
        hex::encode(started.message.serialize())
    };
    let bad_starts: Vec<String> = vec![
        String::new(),
        "{".into(),
        "null".into(),
        "[]".into(),
        format!(r#"{{"account":"{account_hex}"}}"#),
        format!(r#"{{"account":"{account_hex}","credential_request":"{valid_request}","x":1}}"#),
        format!(r#"{{"account":"zz","credential_request":"{valid_request}"}}"#),
        format!(r#"{{"account":"0011","credential_request":"{valid_request}"}}"#),
        format!(
            r#"{{"account":"{}","credential_request":"{valid_request}"}}"#,
            "00".repeat(65)
        ),
        format!(
            r#"{{"account":"{account_hex}","credential_request":"{}"}}"#,
            &valid_request[..62]
        ),
        format!(
            r#"{{"account":"{account_hex}","credential_request":"{}"}}"#,
            "ff".repeat(96)
        ),
        format!(r#"{{"account":"{account_hex}","credential_request":"{valid_request}00"}}"#),
        format!(
            r#"{{"account":"{account_hex}","credential_request":"{}"#,
            &valid_request[..20]
        ),
    ];
    for body in &bad_starts {
        let (status, answer) = post_raw(&agent, &start_url, body.as_bytes());
        assert_eq!(status, 400, "{body:?} -> {answer}");
        let reply: ErrorReply = serde_json::from_str(&answer).unwrap();
        assert_eq!(reply.error, ErrorCode::Malformed);
    }
    // One attempt was spent by the valid start above; the malformed ones spent none.
    assert_eq!(stored_attempts(&f.db, &account), Some(9));

    let bad_finishes: Vec<String> = vec![
        "{}".into(),
        format!(
            r#"{{"login_id":"{}","credential_finalization":"00","action":"release"}}"#,
            valid_start.login_id
        ),
        format!(
            r#"{{"login_id":"{}","credential_finalization":"{}","action":"steal"}}"#,
            valid_start.login_id,
            "00".repeat(64)
        ),
        format!(
            r#"{{"login_id":"00","credential_finalization":"{}","action":"release"}}"#,
            "00".repeat(64)
        ),
    ];
    for body in &bad_finishes {
        let (status, answer) = post_raw(&agent, &finish_url, body.as_bytes());
        assert_eq!(status, 400, "{body:?} -> {answer}");
    }

    // Out of order: a finish for a login that was never started.
    let never_started = failing_finish_body(&"ab".repeat(32));
    let (status, answer) = post_raw(&agent, &finish_url, &never_started);
    assert_eq!(status, 409, "{answer}");
    assert_eq!(
        serde_json::from_str::<ErrorReply>(&answer).unwrap().error,
        ErrorCode::NoSuchLogin
    );

    // A failing finish, then the same finish replayed: refused, and nothing refunded.
    let finish = failing_finish_body(&valid_start.login_id);
    let (status, answer) = post_raw(&agent, &finish_url, &finish);
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = post_raw(&agent, &finish_url, &finish);
    assert_eq!(status, 409, "{answer}");
    assert_eq!(stored_attempts(&f.db, &account), Some(9));

    // A correct login's finish replayed: refused; the counter is what the login made it.
    let finish_body = correct_login_finish_body(&server.url, &account);
    let (status, _) = post_raw(&agent, &finish_url, &finish_body);
    assert_eq!(status, 200);
    let (status, answer) = post_raw(&agent, &finish_url, &finish_body);
    assert_eq!(status, 409, "{answer}");
    assert_eq!(stored_attempts(&f.db, &account), Some(10));

    // Registration messages out of order or malformed.
    let register_finish = format!("{}/v1/register/finish", server.url);
    let bogus_upload = format!(
        r#"{{"account":"{}","registration_upload":"{}","envelope":"{}"}}"#,
        hex::encode(common::account()),
        "ff".repeat(192),
        "00".repeat(60)
    );
    let (status, answer) = post_raw(&agent, &register_finish, bogus_upload.as_bytes());
    assert_eq!(status, 400, "{answer}");
    let (status, _) = post_raw(
        &agent,
        &format!("{}/v1/register/start", server.url),
        b"{\"account\":1}",
    );
    assert_eq!(status, 400);

    assert!(server.alive(), "the server survived every message");
    assert_eq!(*vault.login(&account, PASSWORD, None).unwrap(), SECRET);
}

/// Runs a correct login by hand up to the finish and returns the finish's body, unsent.
fn correct_login_finish_body(base: &str, account: &[u8]) -> Vec<u8> {
    use e2eb_vault::protocol::{Action, LoginFinish, LoginStart, Suite};
    use opaque_ke::{ClientLogin, ClientLoginFinishParameters, CredentialResponse};
    let mut rng = rand_core::OsRng;
    let started = ClientLogin::<Suite>::start(&mut rng, PASSWORD).unwrap();
    let body = serde_json::to_vec(&LoginStart {
        account: hex::encode(account),
        credential_request: hex::encode(started.message.serialize()),
    })
    .unwrap();
    let (status, answer) = post_raw(&agent(), &format!("{base}/v1/login/start"), &body);
    assert_eq!(status, 200);
    let reply: LoginStartReply = serde_json::from_str(&answer).unwrap();
    let response =
        CredentialResponse::deserialize(&hex::decode(reply.credential_response).unwrap()).unwrap();
    let finished = started
        .state
        .finish(
            &mut rng,
            PASSWORD,
            response,
            ClientLoginFinishParameters::default(),
        )
        .unwrap();
    serde_json::to_vec(&LoginFinish {
        login_id: reply.login_id,
        credential_finalization: hex::encode(finished.message.serialize()),
        action: Action::Status,
    })
    .unwrap()
}

/// The JSON keys of an object and the length of each value's text.
fn shape(body: &str) -> BTreeSet<(String, usize)> {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string().len()))
        .collect()
}

#[test]
fn unknown_accounts_get_login_starts_of_the_same_shape() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let known = account();
    client(&server).register(&known, PASSWORD, &SECRET).unwrap();
    let agent = agent();
    let (known_status, known_body) = login_start(&agent, &server.url, &known);
    let (unknown_status, unknown_body) = login_start(&agent, &server.url, &account());
    let (short_status, short_body) = login_start(&agent, &server.url, &[7u8; 16]);
    assert_eq!(
        (known_status, unknown_status, short_status),
        (200, 200, 200)
    );
    assert_eq!(shape(&known_body), shape(&unknown_body));
    assert_eq!(shape(&known_body), shape(&short_body));
    assert_eq!(known_body.len(), unknown_body.len());
}

#[test]
fn setup_secret_never_reaches_the_database_files() {
    let f = fixture();
    let setup = e2eb_vault::setup::Setup::load(&f.setup).unwrap();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let vault = client(&server);
    let accounts: Vec<Vec<u8>> = (0..3).map(|_| account()).collect();
    for account in &accounts {
        vault.register(account, PASSWORD, &SECRET).unwrap();
        let _ = wrong_login_raw(&agent(), &server.url, account);
        vault.login(account, PASSWORD, None).unwrap();
    }
    let _ = login_start(&agent(), &server.url, &common::account());
    vault.delete(&accounts[0], PASSWORD, None).unwrap();

    let files: Vec<std::path::PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| format!("{}{suffix}", f.db).into())
        .collect();
    let read = assert_no_setup_secret_in(&files, &setup, &accounts[1]);
    assert!(read >= 2, "the database and its WAL were searched");
    server.kill();
}

#[test]
fn server_refuses_an_open_setup_file_and_plain_http_off_loopback() {
    use std::os::unix::fs::PermissionsExt;
    let f = fixture();
    let setup = f.setup.to_str().unwrap();
    for mode in [0o640, 0o604, 0o644, 0o660] {
        std::fs::set_permissions(&f.setup, std::fs::Permissions::from_mode(mode)).unwrap();
        let (ok, stderr) = run_vault(&[
            "serve",
            "--setup",
            setup,
            "--db",
            &f.db,
            "--listen",
            "127.0.0.1:0",
        ]);
        assert!(!ok);
        assert!(stderr.contains("group or others"), "{stderr}");
    }
    std::fs::set_permissions(&f.setup, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (ok, stderr) = run_vault(&[
        "serve",
        "--setup",
        setup,
        "--db",
        &f.db,
        "--listen",
        "0.0.0.0:0",
    ]);
    assert!(!ok);
    assert!(stderr.contains("loopback"), "{stderr}");
    let (ok, stderr) = run_vault(&["init", "--setup", setup]);
    assert!(!ok, "init never overwrites a setup");
    assert!(stderr.contains("exists"), "{stderr}");
}

#[test]
fn sigkill_and_restart_lose_nothing() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let account = account();
    client(&server)
        .register(&account, PASSWORD, &SECRET)
        .unwrap();
    for _ in 0..3 {
        let (status, _) = wrong_login_raw(&agent(), &server.url, &account);
        assert_eq!(status, 403);
    }
    server.kill();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let (status, body) = wrong_login_raw(&agent(), &server.url, &account);
    assert_eq!(status, 403);
    assert_eq!(
        serde_json::from_str::<ErrorReply>(&body)
            .unwrap()
            .attempts_left,
        Some(6)
    );
    assert_eq!(
        *client(&server).login(&account, PASSWORD, None).unwrap(),
        SECRET
    );
    server.kill();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let status = client(&server).status(&account, PASSWORD, None).unwrap();
    assert_eq!(status.attempts_left, 10);
}

#[test]
fn a_different_vault_is_refused_before_an_attempt_is_spent() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let vault = client(&server);
    let account = account();
    vault.register(&account, PASSWORD, &SECRET).unwrap();
    let other = e2eb_vault::protocol::vault_id(&[9u8; 32]);
    assert!(matches!(
        vault.login(&account, PASSWORD, Some(&other)),
        Err(VaultError::UnknownVault { .. })
    ));
    assert_eq!(stored_attempts(&f.db, &account), Some(10));

    // The same database behind another setup: OPAQUE fails, the key is not released.
    server.kill();
    let dir = tempfile::tempdir().unwrap();
    let (other_setup, _) = setup_file(dir.path());
    let impostor = Server::start(&other_setup, &f.db, &[], &[]);
    let vault = client(&impostor);
    assert!(matches!(
        vault.login(&account, PASSWORD, Some(&f.vault_id)),
        Err(VaultError::UnknownVault { .. })
    ));
    assert!(matches!(
        vault.login(&account, PASSWORD, None),
        Err(VaultError::WrongPassword { .. })
    ));
}

#[test]
fn an_unreachable_vault_is_told_apart() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let vault = VaultClient::new(
        &format!("http://127.0.0.1:{port}"),
        &ClientOptions::default(),
    )
    .unwrap();
    assert!(matches!(vault.info(), Err(VaultError::Unreachable(_))));
    assert!(matches!(
        vault.login(&account(), PASSWORD, None),
        Err(VaultError::Unreachable(_))
    ));
}

/// VAULT.md: a request body over 16 KiB is refused before it is parsed, and spends nothing.
#[test]
fn a_body_over_16_kib_is_refused_and_spends_no_attempt() {
    let f = fixture();
    let server = Server::start(&f.setup, &f.db, &[], &[]);
    let vault = client(&server);
    let account = account();
    vault.register(&account, PASSWORD, &SECRET).unwrap();
    // A well-formed login start, padded with white space past the limit.
    let started =
        opaque_ke::ClientLogin::<e2eb_vault::protocol::Suite>::start(&mut rand_core::OsRng, WRONG)
            .unwrap();
    let body = |padding: usize| {
        format!(
            "{{\"account\": \"{}\", \"credential_request\": \"{}\"{}}}",
            hex::encode(&account),
            hex::encode(started.message.serialize()),
            " ".repeat(padding)
        )
    };
    let url = format!("{}/v1/login/start", server.url);
    let (status, _) = post_raw(&agent(), &url, body(17 * 1024).as_bytes());
    assert_eq!(status, 413);
    assert_eq!(stored_attempts(&f.db, &account), Some(10));
    // The same message under the limit is taken, and spends its attempt.
    let (status, reply) = post_raw(&agent(), &url, body(10 * 1024).as_bytes());
    assert_eq!(status, 200, "{reply}");
    assert_eq!(stored_attempts(&f.db, &account), Some(9));
}

/// Answers every request on a new loopback listener with `answer(path)`, counting them; serves
/// until the test process ends. Returns its URL and the count.
fn answer_every_request(
    answer: impl Fn(&str) -> String + Send + 'static,
) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(answer(&path).as_bytes());
        }
    });
    (url, count)
}

/// VAULT.md: the client follows no redirect. Every request to a redirector is answered with a
/// redirect (302, which HTTP clients follow even for a POST, and 307, which keeps the method and
/// body) to a second server; the client must fail without ever reaching that server.
#[test]
fn the_client_follows_no_redirect() {
    use std::sync::atomic::Ordering;
    let (target, reached) = answer_every_request(|_| {
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
    });
    for status in ["302 Found", "307 Temporary Redirect"] {
        let target = target.clone();
        let (redirector, redirected) = answer_every_request(move |path| {
            format!(
                "HTTP/1.1 {status}\r\nLocation: {target}{path}\r\nContent-Length: 0\r\n\
                 Connection: close\r\n\r\n"
            )
        });
        let client = VaultClient::new(&redirector, &ClientOptions::default()).unwrap();
        // No vault id expected: the client's first request is the login start itself.
        assert!(
            client.login(&account(), PASSWORD, None).is_err(),
            "{status}"
        );
        assert_eq!(
            redirected.load(Ordering::SeqCst),
            1,
            "{status}: one request"
        );
    }
    assert_eq!(reached.load(Ordering::SeqCst), 0, "a redirect was followed");
}
