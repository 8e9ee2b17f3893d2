//! Shared directory syncs: a rename is durable only once its directory is synced, and one
//! `fsync` of a directory makes every rename done in it before the sync began durable. Threads of
//! one process that rename into the same directory at the same time (the worker threads writing
//! drafts) share syncs, group-commit style: whoever finds no sync running starts one for everyone
//! waiting; the others wait for a sync that began after their own rename. A failed sync fails
//! every caller it would have covered: after a failed `fsync` the kernel may have dropped the
//! dirty directory block and marked the error seen, so a second `fsync` can succeed without the
//! rename being on disk; no caller may take a retry's success for its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

/// Syncs `path`'s parent directory, or waits for a sync of it that began after this call.
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    group(dir).sync(|| std::fs::File::open(dir)?.sync_all())
}

/// The sync group of a directory, one per process.
fn group(dir: &Path) -> Arc<Group> {
    static GROUPS: OnceLock<Mutex<HashMap<PathBuf, Arc<Group>>>> = OnceLock::new();
    let groups = GROUPS.get_or_init(Default::default);
    let mut groups = groups.lock().unwrap_or_else(|e| e.into_inner());
    groups.entry(dir.to_path_buf()).or_default().clone()
}

#[derive(Default)]
struct Group {
    state: Mutex<State>,
    finished: Condvar,
}

#[derive(Default)]
struct State {
    /// Syncs begun so far (the number of the latest).
    started: u64,
    /// The latest sync that finished.
    finished: u64,
    /// The latest sync that succeeded.
    succeeded: u64,
    /// How the latest failed sync failed.
    failure: Option<(std::io::ErrorKind, String)>,
    running: bool,
    /// Calls so far (the tests wait for their callers to be queued).
    #[cfg(test)]
    calls: usize,
}

impl Group {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns once a sync that began after this call has finished (running it when none is
    /// running), with its outcome: Ok when one such sync succeeded, else the error of the
    /// latest, so every caller a failed sync covered sees it fail.
    fn sync(&self, fsync: impl Fn() -> std::io::Result<()>) -> std::io::Result<()> {
        let mut state = self.lock();
        #[cfg(test)]
        {
            state.calls += 1;
        }
        // A sync running now may have begun before our rename: only a later one covers it.
        let needed = state.started + 1;
        loop {
            if state.succeeded >= needed {
                return Ok(());
            }
            if state.finished >= needed {
                let (kind, message) = state.failure.clone().unwrap_or((
                    std::io::ErrorKind::Other,
                    "directory sync failed".to_string(),
                ));
                return Err(std::io::Error::new(kind, message));
            }
            if !state.running {
                state.running = true;
                state.started += 1;
                let mine = state.started;
                drop(state);
                let result = fsync();
                state = self.lock();
                state.running = false;
                state.finished = mine;
                match &result {
                    Ok(()) => state.succeeded = mine,
                    Err(e) => state.failure = Some((e.kind(), e.to_string())),
                }
                self.finished.notify_all();
                return result;
            }
            state = self.finished.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_caller_alone_syncs_itself_every_time() {
        let group = Group::default();
        let calls = AtomicUsize::new(0);
        for _ in 0..3 {
            group
                .sync(|| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                })
                .unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn waiters_share_a_sync_that_began_after_them() {
        let (results, syncs) = queued_behind_a_sync(4, || Ok(()));
        assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
        // The first sync began before the waiters' calls, so it cannot count for them; one more
        // covers all four.
        assert_eq!(syncs, 2, "{syncs} syncs");
    }

    /// Holds a first sync open until released, queues `waiters` callers behind it, then lets
    /// the syncs run with `outcome`; returns what each waiter got and how many syncs ran.
    fn queued_behind_a_sync(
        waiters: usize,
        outcome: impl Fn() -> std::io::Result<()> + Send + Sync + 'static,
    ) -> (Vec<std::io::Result<()>>, usize) {
        let outcome = Arc::new(outcome);
        let group = Arc::new(Group::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let (group, calls) = (group.clone(), calls.clone());
            std::thread::spawn(move || {
                group.sync(|| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    entered_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    Ok(())
                })
            })
        };
        entered_rx.recv().unwrap();
        let handles: Vec<_> = (0..waiters)
            .map(|_| {
                let (group, calls, outcome) = (group.clone(), calls.clone(), outcome.clone());
                std::thread::spawn(move || {
                    group.sync(|| {
                        calls.fetch_add(1, Ordering::SeqCst);
                        outcome()
                    })
                })
            })
            .collect();
        // Bounded wait until every waiter is queued (none can finish before the release).
        for _ in 0..30_000 {
            if group.lock().calls == waiters + 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(
            group.lock().calls,
            waiters + 1,
            "the waiters did not queue in 30 s"
        );
        release_tx.send(()).unwrap();
        first.join().unwrap().unwrap();
        let results = handles.into_iter().map(|h| h.join().unwrap()).collect();
        (results, calls.load(Ordering::SeqCst))
    }

    #[test]
    fn a_failed_sync_fails_every_caller_it_covered() {
        // The disk reports the error once, then syncs "succeed" (as Linux does once an error
        // was seen): the four queued behind the first sync share the next one, it fails, and all
        // four fail (none repeats it and takes the later success for its own).
        let failed = std::sync::atomic::AtomicBool::new(false);
        let (results, syncs) = queued_behind_a_sync(4, move || {
            if failed.swap(true, Ordering::SeqCst) {
                Ok(())
            } else {
                Err(std::io::Error::other("disk gone"))
            }
        });
        assert_eq!(syncs, 2, "one sync for the four waiters");
        assert!(results.iter().all(|r| r.is_err()), "{results:?}");
        let group = Group::default();
        assert!(
            group
                .sync(|| Err(std::io::Error::other("disk gone")))
                .is_err()
        );
        // A later caller gets a sync of its own, which may succeed.
        assert!(group.sync(|| Ok(())).is_ok());
    }
}
