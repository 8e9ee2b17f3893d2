//! Waking idle workers on PostgreSQL: a transaction that makes jobs claimable announces them
//! (`pg_notify`, sent by the server only when it commits), and a [`JobListener`] (a session of its
//! own that LISTENs) tells the worker pool. Only a wake-up, never the truth: workers still poll,
//! and claim whatever the queue holds, so a notification lost (a restart, a transaction-mode
//! pooler that breaks LISTEN) only delays a job by one poll interval. SQLite has none of this:
//! there the intake wakes workers of its own process, and other processes poll.

use std::time::Duration;

use super::Store;
use super::sql::{Conn, Dialect, Transaction};
use crate::error::Result;

/// The channel's name is the schema's: deployments sharing a database in schemas of their own
/// (and the test suite's schemas) do not wake each other's workers.
const CHANNEL_PREFIX: &str = "salesagent_jobs:";

/// Announces, in `tx`, that it made jobs claimable: PostgreSQL sends the notification when (and
/// only if) `tx` commits, so no listener looks before the jobs are there. It is sent with the
/// COMMIT, in the same round trip. Nothing on SQLite.
pub(super) fn announce_jobs_in(tx: &Transaction<'_>) -> Result<()> {
    if tx.dialect() == Dialect::Postgres {
        tx.at_commit(&format!("SELECT {}", announce_jobs_call()));
    }
    Ok(())
}

/// The call that announces jobs, for a statement that makes them and announces them itself
/// (intake's one-statement batch on PostgreSQL): sent when that statement's transaction commits.
pub(super) fn announce_jobs_call() -> String {
    format!("pg_notify('{CHANNEL_PREFIX}' || current_schema(), '')")
}

/// A PostgreSQL session that LISTENs for [`announce_jobs_in`]'s notifications.
pub struct JobListener {
    conn: Conn,
    /// The LISTEN statement, issued again on a new connection after the last one was lost.
    listen: String,
    listening: bool,
}

/// Why [`JobListener::wait`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Another transaction committed jobs (or the session was made again, and some may have
    /// been missed meanwhile): look for work now.
    Jobs,
    /// Nothing within the timeout.
    Nothing,
}

impl Store {
    /// A listener on a connection of its own (a LISTEN must stay in one session, so it never
    /// shares the store's), or `None` on SQLite.
    pub fn job_listener(&self) -> Result<Option<JobListener>> {
        let Some(conn) = self.conn.another_postgres() else {
            return Ok(None);
        };
        let conn = conn?;
        let schema: String = conn.query_row("SELECT current_schema()", (), |r| r.get(0))?;
        let channel = format!("{CHANNEL_PREFIX}{schema}").replace('"', "\"\"");
        let mut listener = JobListener {
            conn,
            listen: format!("LISTEN \"{channel}\""),
            listening: false,
        };
        listener.listen()?;
        Ok(Some(listener))
    }
}

impl JobListener {
    fn listen(&mut self) -> Result<()> {
        self.conn.execute_batch(&self.listen)?;
        self.listening = true;
        Ok(())
    }

    /// Waits up to `timeout` for jobs announced by any process. A lost connection is an error
    /// (the caller polls meanwhile); the next call connects and LISTENs again, and answers
    /// [`Heard::Jobs`] at once, since announcements may have been missed while it was away.
    pub fn wait(&mut self, timeout: Duration) -> Result<Heard> {
        if !self.listening {
            self.listen()?;
            return Ok(Heard::Jobs);
        }
        match self.conn.wait_for_notifications(timeout) {
            Ok(0) => Ok(Heard::Nothing),
            Ok(_) => Ok(Heard::Jobs),
            Err(e) => {
                self.listening = false;
                Err(e.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::{SEED, SharedDb, enqueue};
    use crate::store::{Acceptance, NewSubmission, Source};

    /// Long enough that nothing sent is missed on a loaded machine; a wait for a notification
    /// that comes returns at once.
    const PATIENCE: Duration = Duration::from_secs(60);
    const BRIEFLY: Duration = Duration::from_millis(200);

    #[test]
    fn a_listener_hears_jobs_another_connection_committed_and_nothing_else() {
        let db = SharedDb::new();
        let listening = db.open("default");
        let Some(mut listener) = listening.job_listener().unwrap() else {
            assert_eq!(
                listening.dialect(),
                Dialect::Sqlite,
                "SQLite has no listener"
            );
            return;
        };
        let other = db.open("default");
        assert_eq!(listener.wait(BRIEFLY).unwrap(), Heard::Nothing);
        // An announcement is sent at commit, so one rolled back is never heard.
        let tx = other.conn.row_locked_tx().unwrap();
        announce_jobs_in(&tx).unwrap();
        tx.rollback().unwrap();
        assert_eq!(listener.wait(BRIEFLY).unwrap(), Heard::Nothing);
        // Another tenant's store of the same database wakes the same workers.
        enqueue(&db.open("acme"), SEED);
        assert_eq!(listener.wait(PATIENCE).unwrap(), Heard::Jobs);
        // A duplicate makes no job, so it announces none.
        let parsed = crate::domain::submission::parse_payload(SEED.as_bytes()).unwrap();
        let again =
            NewSubmission::received(Source::Run, &parsed.submissions[0], SEED.as_bytes(), 2);
        let acme = db.open("acme");
        assert!(matches!(
            acme.accept_submissions(&[again]).unwrap()[0],
            Acceptance::Duplicate { .. }
        ));
        assert_eq!(listener.wait(BRIEFLY).unwrap(), Heard::Nothing);
    }

    #[test]
    fn a_listener_whose_connection_was_lost_listens_again() {
        let db = SharedDb::new();
        let store = db.open("default");
        let Some(mut listener) = store.job_listener().unwrap() else {
            return;
        };
        let pid: i64 = listener
            .conn
            .query_row("SELECT CAST(pg_backend_pid() AS BIGINT)", (), |r| r.get(0))
            .unwrap();
        store
            .conn
            .execute("SELECT pg_terminate_backend(CAST(?1 AS INTEGER))", [pid])
            .unwrap();
        // Lost (or, if the server's word came late, nothing heard yet): either way polling covers it.
        let mut lost = false;
        for _ in 0..50 {
            match listener.wait(BRIEFLY) {
                Err(_) => {
                    lost = true;
                    break;
                }
                Ok(Heard::Nothing) => continue,
                Ok(Heard::Jobs) => panic!("nothing was announced"),
            }
        }
        assert!(lost, "the terminated session was noticed");
        // Back: it says to look (announcements may have been missed), then hears new ones.
        assert_eq!(listener.wait(BRIEFLY).unwrap(), Heard::Jobs);
        enqueue(&store, SEED);
        assert_eq!(listener.wait(PATIENCE).unwrap(), Heard::Jobs);
    }
}
