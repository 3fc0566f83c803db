// SPDX-License-Identifier: MPL-2.0
//! Accepting connections, so that no client can hold the server.
//!
//! - **Per source** (an IPv4 address, an IPv6 /64: `peer.rs`): at most
//!   [`Limits::per_source`] connections and
//!   [`Limits::handshakes_per_source`] TLS handshakes in progress. One
//!   more from that source is closed at once, so a client that opens
//!   connections and never speaks — or keeps reopening half-sent
//!   handshakes — takes only its own share.
//! - **In all**: at most [`Limits::max_connections`]. When they are all
//!   taken, the one **idle the longest** — a handshake not finished, or a
//!   connection waiting between requests — is closed to make room for the
//!   new one; a connection serving a request is never closed for another.
//!   If every one is serving, the new one waits in the kernel's queue.
//! - The TLS handshake and a request's headers must arrive within their
//!   time-outs; a request as a whole (its body included) within
//!   [`Limits::request_timeout`] (`api/`).
//! - Plain HTTP only on a loopback address (tests, the demo); anything else
//!   is TLS (`tls.rs`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tower::ServiceExt;

use crate::peer::Source;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    /// Connections from one source at once (phones behind one NAT share
    /// an address: each holds one connection at a time).
    pub per_source: usize,
    /// TLS handshakes in progress from one source.
    pub handshakes_per_source: usize,
    pub handshake_timeout: Duration,
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    /// The largest request body (a batch of visit records).
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            per_source: 32,
            handshakes_per_source: 8,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body: 2 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    /// Waiting for a request (its first, or the next on a kept-alive one).
    Idle,
    /// Serving this many requests.
    Busy(usize),
}

struct Entry {
    source: Source,
    phase: Phase,
    /// When it opened or last became idle.
    since: Instant,
    shed: Option<oneshot::Sender<()>>,
}

#[derive(Default)]
struct PerSource {
    connections: usize,
    handshakes: usize,
}

#[derive(Default)]
struct Table {
    entries: HashMap<u64, Entry>,
    sources: HashMap<Source, PerSource>,
    next: u64,
}

impl Table {
    fn forget(&mut self, id: u64) -> Option<Entry> {
        let e = self.entries.remove(&id)?;
        if let Some(s) = self.sources.get_mut(&e.source) {
            s.connections -= 1;
            if e.phase == Phase::Handshake {
                s.handshakes -= 1;
            }
            if s.connections == 0 {
                self.sources.remove(&e.source);
            }
        }
        Some(e)
    }
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refused {
    /// Its source holds its share already: closed at once.
    SourceFull,
    /// Every connection is serving a request: wait for one to end.
    AllBusy,
}

/// The connections being served, by source and phase.
struct Registry {
    limits: Limits,
    table: Mutex<Table>,
    /// A connection ended or became idle.
    changed: Notify,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a connection from `source`, closing the one idle the longest
    /// if the server is full.
    fn admit(
        self: &Arc<Self>,
        source: Source,
        tls: bool,
    ) -> Result<(Ticket, oneshot::Receiver<()>), Refused> {
        let mut t = self.lock();
        let mine = t.sources.get(&source);
        let (conns, shakes) = mine.map_or((0, 0), |s| (s.connections, s.handshakes));
        if conns >= self.limits.per_source || (tls && shakes >= self.limits.handshakes_per_source) {
            return Err(Refused::SourceFull);
        }
        if t.entries.len() >= self.limits.max_connections {
            let oldest = t
                .entries
                .iter()
                .filter(|(_, e)| !matches!(e.phase, Phase::Busy(_)))
                .min_by_key(|(_, e)| e.since)
                .map(|(id, _)| *id);
            let Some(id) = oldest else { return Err(Refused::AllBusy) };
            if let Some(shed) = t.forget(id).and_then(|e| e.shed) {
                let _ = shed.send(());
            }
        }
        let id = t.next;
        t.next += 1;
        let phase = if tls { Phase::Handshake } else { Phase::Idle };
        let (tx, rx) = oneshot::channel();
        t.entries.insert(id, Entry { source, phase, since: Instant::now(), shed: Some(tx) });
        let s = t.sources.entry(source).or_default();
        s.connections += 1;
        if tls {
            s.handshakes += 1;
        }
        Ok((Ticket { registry: self.clone(), id }, rx))
    }

    fn set(&self, id: u64, change: impl FnOnce(Phase) -> Phase) {
        let mut t = self.lock();
        let Some(e) = t.entries.get_mut(&id) else { return };
        let (was, now) = (e.phase, change(e.phase));
        e.phase = now;
        if now == Phase::Idle {
            e.since = Instant::now();
        }
        let source = e.source;
        if was == Phase::Handshake && now != Phase::Handshake {
            if let Some(s) = t.sources.get_mut(&source) {
                s.handshakes -= 1;
            }
        }
        drop(t);
        if now == Phase::Idle {
            self.changed.notify_waiters();
        }
    }
}

/// A connection's place; given back when dropped.
struct Ticket {
    registry: Arc<Registry>,
    id: u64,
}

impl Ticket {
    fn handshake_done(&self) {
        self.registry.set(self.id, |_| Phase::Idle);
    }

    /// Marks a request in progress until the guard is dropped.
    fn request(registry: &Arc<Registry>, id: u64) -> RequestGuard {
        registry.set(id, |p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        RequestGuard { registry: registry.clone(), id }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.registry.lock().forget(self.id);
        self.registry.changed.notify_waiters();
    }
}

struct RequestGuard {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.registry.set(self.id, |p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle,
        });
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Serves `app` on `listener` until `shutdown` fires.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    mut shutdown: oneshot::Receiver<()>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let registry =
        Arc::new(Registry { limits, table: Mutex::new(Table::default()), changed: Notify::new() });
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    'accept: loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let source = Source::of(peer.ip());
        let (ticket, shed) = loop {
            // Registered before admitting, so that a change in between wakes it.
            let changed = registry.changed.notified();
            match registry.admit(source, acceptor.is_some()) {
                Ok(admitted) => break admitted,
                Err(Refused::SourceFull) => {
                    tracing::debug!(peer = %peer, "connection closed: its source holds its share");
                    continue 'accept;
                }
                Err(Refused::AllBusy) => tokio::select! {
                    _ = changed => {}
                    _ = &mut shutdown => break 'accept,
                },
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        let watcher = graceful.watcher();
        let registry = registry.clone();
        tokio::spawn(async move {
            let served = async {
                let io: Box<dyn Io> = match acceptor {
                    Some(a) => {
                        match tokio::time::timeout(limits.handshake_timeout, a.accept(stream)).await
                        {
                            Ok(Ok(s)) => Box::new(s),
                            Ok(Err(e)) => {
                                tracing::debug!(peer = %peer, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        }
                    }
                    None => Box::new(stream),
                };
                ticket.handshake_done();
                let id = ticket.id;
                let svc = app
                    .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ConnectInfo(peer));
                        req
                    })
                    .map_future(move |f| {
                        let busy = Ticket::request(&registry, id);
                        async move {
                            let out = f.await;
                            drop(busy);
                            out
                        }
                    });
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
                let conn =
                    builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(svc));
                let _ = watcher.watch(conn).await;
            };
            tokio::select! {
                _ = served => {}
                _ = shed => tracing::debug!(peer = %peer, "idle connection closed to make room"),
            }
            drop(ticket);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

/// Whether plain HTTP may be served on `addr` (loopback only).
pub fn plain_http_allowed(addr: SocketAddr) -> bool {
    addr.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(max: usize, per_source: usize, handshakes: usize) -> Arc<Registry> {
        Arc::new(Registry {
            limits: Limits {
                max_connections: max,
                per_source,
                handshakes_per_source: handshakes,
                ..Limits::default()
            },
            table: Mutex::new(Table::default()),
            changed: Notify::new(),
        })
    }

    fn src(n: u8) -> Source {
        Source::of(std::net::IpAddr::from([10, 0, 0, n]))
    }

    #[test]
    fn a_source_gets_its_share_of_connections_and_handshakes() {
        let r = registry(100, 3, 2);
        let a1 = r.admit(src(1), true).unwrap();
        let a2 = r.admit(src(1), true).unwrap();
        assert_eq!(r.admit(src(1), true).err(), Some(Refused::SourceFull), "two handshakes");
        a1.0.handshake_done();
        let _a3 = r.admit(src(1), true).unwrap();
        assert_eq!(r.admit(src(1), true).err(), Some(Refused::SourceFull), "three connections");
        assert!(r.admit(src(2), true).is_ok(), "another source is not held back");
        a2.0.handshake_done();
        drop(a1);
        assert!(r.admit(src(1), true).is_ok(), "a place given back");
    }

    #[test]
    fn when_full_the_connection_idle_the_longest_makes_room_and_a_busy_one_never_does() {
        let r = registry(3, 10, 10);
        let (busy, _) = r.admit(src(1), false).unwrap();
        let _guard = Ticket::request(&r, busy.id);
        let (_old, mut old_shed) = r.admit(src(2), false).unwrap();
        std::thread::sleep(Duration::from_millis(2));
        let (_young, mut young_shed) = r.admit(src(3), false).unwrap();
        let (_new, _) = r.admit(src(4), false).unwrap();
        assert!(old_shed.try_recv().is_ok(), "the oldest idle one was closed");
        assert!(young_shed.try_recv().is_err());
        assert_eq!(r.lock().entries.len(), 3);
        // Now the busy one is the oldest but serving: the younger idle one goes.
        let (_newer, _) = r.admit(src(5), false).unwrap();
        assert!(young_shed.try_recv().is_ok());
        assert!(r.lock().entries.contains_key(&busy.id));
    }

    #[test]
    fn when_every_connection_is_serving_a_new_one_waits() {
        let r = registry(1, 10, 10);
        let (busy, _) = r.admit(src(1), false).unwrap();
        let guard = Ticket::request(&r, busy.id);
        assert_eq!(r.admit(src(2), false).err(), Some(Refused::AllBusy));
        drop(guard);
        assert!(r.admit(src(2), false).is_ok(), "idle again: it makes room");
    }
}
