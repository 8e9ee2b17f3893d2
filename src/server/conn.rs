//! The accept loop and each connection's life: a cap on open connections (over it, a 503 at
//! once), an idle timeout while a connection waits for a request, a header timeout from a
//! request's first byte to the end of its head, and a shutdown that closes idle and half-open
//! connections at once while requests being handled get the grace period. hyper serves each
//! connection; the limits live in [`Watched`], a wrapper around the socket. Knows no status
//! codes (the over-capacity answer comes from `error.rs`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use crate::config::ServerConfig;

/// The limits one `serve` applies to its connections.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub header_read: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn from_config(config: &ServerConfig) -> Limits {
        Limits {
            header_read: Duration::from_secs(config.header_read_timeout_secs),
            idle: Duration::from_secs(config.idle_timeout_secs),
            max_connections: config
                .max_connections
                .unwrap_or_else(default_max_connections),
        }
    }
}

/// Three quarters of the soft open-files limit, keeping room for the database, the mail files
/// and the workers' connections.
fn default_max_connections() -> usize {
    let soft = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse::<usize>().ok())
        })
        .unwrap_or(1024);
    (soft / 4 * 3).saturating_sub(64).max(32)
}

/// Serves `router` on `listener` until `shutdown` turns true, then lets requests being handled
/// finish for up to `grace` and closes everything else at once.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) -> io::Result<()> {
    let open = Arc::new(AtomicUsize::new(0));
    let mut connections = JoinSet::new();
    let for_connections = shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors and the like: back off instead of spinning.
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                if open.load(Ordering::SeqCst) >= limits.max_connections {
                    connections.spawn(refuse(stream));
                    continue;
                }
                let guard = OpenGuard::new(open.clone());
                let router = router.clone();
                let shutdown = for_connections.clone();
                connections.spawn(async move {
                    let _guard = guard;
                    serve_one(stream, router, limits, shutdown).await;
                });
            }
            // Reap finished connections as we go, so the set stays small.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            "grace period over: closing the connections still open"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Over the connection cap: a short 503 with Retry-After, then close.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        stream.write_all(super::error::OVERLOADED_RESPONSE),
    )
    .await;
    let _ = stream.shutdown().await;
}

fn http1() -> hyper::server::conn::http1::Builder {
    let mut b = hyper::server::conn::http1::Builder::new();
    // Watched enforces the header and idle timeouts (hyper's own would also close keep-alive
    // connections after the header timeout).
    b.header_read_timeout(None)
        .keep_alive(true)
        .max_buf_size(64 * 1024);
    b
}

async fn serve_one(
    stream: TcpStream,
    router: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let watched = Watched::new(stream, limits, shutdown.clone());
    let service = TowerToHyperService::new(router);
    let conn = http1().serve_connection(TokioIo::new(watched), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
    // Shutting down: no keep-alive; the request being handled (if any) finishes, and Watched
    // ends a connection that is idle or still sending its head.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Counts an open connection for as long as it lives.
struct OpenGuard(Arc<AtomicUsize>);

impl OpenGuard {
    fn new(open: Arc<AtomicUsize>) -> OpenGuard {
        open.fetch_add(1, Ordering::SeqCst);
        OpenGuard(open)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Where a connection is in its request cycle, as seen from the bytes that cross it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request: since accept, or since the last response bytes were written.
    Idle,
    /// A request's first bytes arrived; its head has not ended yet (`tail` holds the last bytes
    /// read, to find `\r\n\r\n` across reads).
    Head { tail: [u8; 3] },
    /// The head is complete: the body and the handler are bounded by the request timeout.
    Request,
}

/// The socket as hyper sees it: a read fails with `TimedOut` once the idle or header deadline has
/// passed (hyper then closes the connection), and at once during shutdown unless a request is
/// being handled.
struct Watched {
    inner: TcpStream,
    phase: Phase,
    limits: Limits,
    deadline: Pin<Box<Sleep>>,
    shutdown: watch::Receiver<bool>,
    stopping: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Watched {
    fn new(inner: TcpStream, limits: Limits, shutdown: watch::Receiver<bool>) -> Watched {
        let mut signal = shutdown.clone();
        Watched {
            inner,
            phase: Phase::Idle,
            limits,
            deadline: Box::pin(tokio::time::sleep(limits.idle)),
            shutdown,
            stopping: Box::pin(async move {
                let _ = signal.wait_for(|stop| *stop).await;
            }),
        }
    }

    /// Moves to `phase`, restarting the deadline that phase has (a request has none here: the
    /// request timeout bounds it).
    fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        let after = match phase {
            Phase::Idle => self.limits.idle,
            Phase::Head { .. } => self.limits.header_read,
            Phase::Request => return,
        };
        self.deadline.as_mut().reset(Instant::now() + after);
    }

    /// Follows the bytes just read: the first byte of a request starts its head, a blank line
    /// ends it.
    fn saw(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let tail = match self.phase {
            Phase::Idle => {
                self.enter(Phase::Head { tail: [0; 3] });
                [0; 3]
            }
            Phase::Head { tail } => tail,
            Phase::Request => return,
        };
        if head_ends(tail, bytes) {
            self.enter(Phase::Request);
        } else {
            self.phase = Phase::Head {
                tail: last_three(tail, bytes),
            };
        }
    }

    /// A response is going out: the connection waits for its next request from here. hyper may
    /// not read again before the client does, so the idle deadline and the shutdown signal are
    /// armed here, with this task's waker (their wake-up makes hyper poll a read, which then
    /// fails); the task is woken at once only when one of them has already passed.
    fn responded(&mut self, cx: &mut Context<'_>) {
        let was = self.phase;
        self.enter(Phase::Idle);
        if was != Phase::Idle && self.expired(cx) {
            cx.waker().wake_by_ref();
        }
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.phase == Phase::Request {
            return false;
        }
        if *self.shutdown.borrow() || self.stopping.as_mut().poll(cx).is_ready() {
            return true;
        }
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

/// Whether a blank line (`\r\n\r\n`) ends within `tail` (the last three bytes read before,
/// zeros at first) followed by `bytes`.
fn head_ends(tail: [u8; 3], bytes: &[u8]) -> bool {
    const END: &[u8; 4] = b"\r\n\r\n";
    // The windows that straddle the two: 1 to 3 bytes of `tail` and the rest from `bytes`.
    let straddles = (1..=3).any(|from_tail| {
        let rest = 4 - from_tail;
        bytes.len() >= rest
            && tail[3 - from_tail..] == END[..from_tail]
            && bytes[..rest] == END[from_tail..]
    });
    straddles || bytes.windows(4).any(|w| w == END)
}

/// The last three bytes of `tail` followed by `bytes`.
fn last_three(tail: [u8; 3], bytes: &[u8]) -> [u8; 3] {
    let mut out = tail;
    for &b in bytes.iter().skip(bytes.len().saturating_sub(3)) {
        out = [out[1], out[2], b];
    }
    out
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                self.saw(&buf.filled()[before..]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if self.expired(cx) {
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "client too slow or idle",
                    )))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        if written > 0 {
            self.responded(cx);
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write_vectored(cx, bufs))?;
        if written > 0 {
            self.responded(cx);
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::{head_ends, last_three};

    /// What `saw` did before it stopped copying each read: the tail and the bytes in one buffer.
    fn by_copy(tail: [u8; 3], bytes: &[u8]) -> (bool, [u8; 3]) {
        let mut window = tail.to_vec();
        window.extend_from_slice(bytes);
        let n = window.len();
        (
            window.windows(4).any(|w| w == b"\r\n\r\n"),
            [window[n - 3], window[n - 2], window[n - 1]],
        )
    }

    #[test]
    fn a_head_split_anywhere_ends_where_it_did_with_a_copy() {
        let heads: [&[u8]; 4] = [
            b"POST /x HTTP/1.1\r\nHost: a\r\n\r\n{}",
            b"GET / HTTP/1.1\r\n\r\n",
            b"\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: \r\r\n\n\r\n\rb\r\n",
        ];
        for head in heads {
            // Every way to cut it in up to three reads.
            for i in 0..=head.len() {
                for j in i..=head.len() {
                    let mut tail = [0u8; 3];
                    let mut ended = false;
                    for part in [&head[..i], &head[i..j], &head[j..]] {
                        if part.is_empty() || ended {
                            continue;
                        }
                        let (copy_end, copy_tail) = by_copy(tail, part);
                        let end = head_ends(tail, part);
                        assert_eq!(end, copy_end, "{head:?} cut at {i}, {j}");
                        ended = end;
                        tail = last_three(tail, part);
                        assert_eq!(tail, copy_tail, "{head:?} cut at {i}, {j}");
                    }
                }
            }
        }
    }
}
