//! SIGTERM and SIGINT as a counter: the first asks for a graceful stop, the second for an
//! immediate one. Long-running commands (`serve`, `worker`) watch it; nothing here prints.

use tokio::sync::watch;

/// How many stop signals have arrived.
#[derive(Clone)]
pub struct Signals {
    rx: watch::Receiver<u32>,
}

impl Signals {
    /// Listens for SIGTERM and SIGINT on the current tokio runtime.
    pub fn install() -> crate::error::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        let io = |e| crate::error::Error::io("cannot listen for signals", e);
        let mut term = signal(SignalKind::terminate()).map_err(io)?;
        let mut int = signal(SignalKind::interrupt()).map_err(io)?;
        let (tx, rx) = watch::channel(0u32);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
                tx.send_modify(|n| *n += 1);
            }
        });
        Ok(Signals { rx })
    }

    /// A counter that never fires (for tests and embedding).
    pub fn never() -> Signals {
        let (tx, rx) = watch::channel(0u32);
        std::mem::forget(tx);
        Signals { rx }
    }

    pub fn count(&self) -> u32 {
        *self.rx.borrow()
    }

    /// Resolves once at least `n` signals have arrived.
    pub async fn at_least(&mut self, n: u32) {
        let _ = self.rx.wait_for(|c| *c >= n).await;
    }
}

/// How a pool ended.
#[derive(Clone, Debug, Default)]
pub struct Drained {
    /// Jobs whose lease was released because the grace period ran out.
    pub released: usize,
    /// A second signal cut the wait short (leases are left to expire).
    pub forced: bool,
    pub completed: u64,
}

/// Stops `pool`: running jobs get until `deadline` (the first signal plus the grace period) to
/// finish, then their leases are released; a second signal cuts the wait short.
pub async fn drain(
    pool: super::Pool,
    deadline: std::time::Instant,
    mut signals: Signals,
) -> crate::error::Result<Drained> {
    use std::sync::atomic::Ordering;
    pool.stop_claiming();
    let mut out = Drained::default();
    while !pool.is_idle() && std::time::Instant::now() < deadline {
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(25)) => {}
            _ = signals.at_least(2) => { out.forced = true; break; }
        }
    }
    out.completed = pool.stats().completed.load(Ordering::Relaxed);
    if out.forced {
        return Ok(out);
    }
    let finishing = tokio::task::spawn_blocking(move || pool.finish());
    tokio::select! {
        joined = finishing => {
            out.released = joined
                .map_err(|e| crate::error::Error::Configuration(format!("worker pool: {e}")))??;
        }
        _ = signals.at_least(2) => out.forced = true,
    }
    Ok(out)
}
