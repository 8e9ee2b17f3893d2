//! Several processes on one PostgreSQL database: two `serve` processes on two ports under one
//! signed load split between them; one is SIGKILLed mid-load, the other rescues its leases, and
//! every acknowledged submission completes exactly once.

use crate::env::Backend;
use crate::serve::{assert_each_completed_once, post_load, signed_load};
use crate::server_support::{Proc, signed_env_on, wait_for};

#[test]
fn two_servers_share_a_database_and_one_killed_mid_load_loses_nothing() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let env = signed_env_on(backend);
    env.write_config("[worker]\nlease_secs = 2\n");
    let mut doomed = Proc::serve(&env, &[]);
    let survivor = Proc::serve(&env, &[]);
    let payloads = signed_load(&env, &[doomed.url(), survivor.url()], 160);
    let accepted = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        post_load(s, &payloads, 4, &accepted);
        // Killed while it holds leases of its own: the survivor's rescuer must take them over.
        wait_for("the first server to be running jobs", || {
            accepted.lock().unwrap().len() >= 30
                && env.sql_i64(&format!(
                    "SELECT COUNT(*) FROM jobs WHERE state = 'running' AND lease_owner LIKE '{}:%'",
                    doomed.pid()
                )) >= 1
        });
        doomed.kill9();
    });
    let accepted = accepted.into_inner().unwrap();
    let from_survivor = survivor.url();
    assert!(
        payloads.iter().any(|(url, _)| *url == from_survivor),
        "the load was split"
    );
    assert_each_completed_once(&env, &accepted);
    assert!(
        env.sql_i64("SELECT COUNT(*) FROM jobs WHERE attempt >= 2") >= 1,
        "no lease of the killed server was rescued: the test proved nothing"
    );
    drop(survivor);
}
