//! The load generator against a real `e2eb-vault serve` on SQLite: the server takes its
//! identity-KSF registrations and logins as any other (logins release envelopes that open,
//! wrong ones are counted), and each phase reports what it did.
#![cfg(feature = "server")]

mod common;

use std::time::Duration;

use common::*;
use e2eb_vault::loadgen::{self, Operation};

#[test]
fn a_level_registers_logs_in_and_fails_logins_and_reads_the_meter_around_each_phase() {
    let dir = tempfile::tempdir().unwrap();
    let (setup, _) = setup_file(dir.path());
    let db = dir.path().join("vault.sqlite");
    let server = Server::start(&setup, db.to_str().unwrap(), &[], &[]);

    let mut readings = 0u32;
    let mut meter = || {
        readings += 1;
        readings
    };
    // Any error (a refused registration, a login whose envelope does not open, a wrong login
    // not answered `wrong_password` with its count) fails the level.
    let outcomes =
        loadgen::run_level(&server.url, 2, Duration::from_millis(150), &mut meter).unwrap();
    assert_eq!(
        outcomes.iter().map(|o| o.operation).collect::<Vec<_>>(),
        Operation::ALL
    );
    for (index, outcome) in outcomes.iter().enumerate() {
        assert_eq!(outcome.clients, 2);
        // Each client finishes at least the one operation it starts before its deadline.
        assert!(outcome.latencies.len() >= 2, "{outcome:?}");
        assert!(outcome.latencies.iter().all(|l| *l > 0.0));
        assert!(outcome.wall > Duration::ZERO);
        let index = u32::try_from(index).unwrap();
        assert_eq!(
            (outcome.before, outcome.after),
            (2 * index + 1, 2 * index + 2)
        );
    }
    assert_eq!(readings, 6);
}

#[test]
fn an_unreachable_server_is_an_error_not_a_figure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let error = loadgen::run_level(
        &format!("http://127.0.0.1:{port}"),
        1,
        Duration::from_millis(10),
        &mut || (),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            loadgen::LoadError::Transport {
                operation: "info",
                ..
            }
        ),
        "{error}"
    );
}
