//! A health service, as a gRPC health check or a readiness endpoint has it:
//! every watcher (a client stream) gets every status change, in order, on a
//! spawned task that owns its stream; the streams end on a terminal state
//! that a guard sets when the server stops, however it stops. A brief
//! outage (`NotServing` then `Serving` back to back) reaches every watcher,
//! where `tokio::sync::watch` would coalesce it away.
//!
//! `cargo run --example health`

use std::sync::Arc;

use futures_lite::StreamExt;
use stateword::{Observable, OwnedWatcher, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Health {
    Unknown,
    Serving,
    NotServing,
    /// The server is gone: the end of every stream.
    ShutDown,
}

/// What the service exposes: a read-only view of its health.
struct HealthService {
    health: Arc<Observable<Health, 16>>,
}

impl HealthService {
    fn new() -> Self {
        HealthService {
            health: Arc::new(Observable::with_history(Health::Unknown)),
        }
    }

    /// What a client's `Watch` call gets: the current status first, then
    /// every change, ending after `ShutDown`. `'static` and `Send`, as a
    /// server's response stream must be.
    fn watch(&self) -> impl futures_core::Stream<Item = Health> + Send + 'static {
        let mut sub = self.health.clone().subscribe_owned();
        let now = sub.mark_seen();
        let changes = sub
            .into_transitions()
            .until(|h| h == Health::ShutDown)
            .map(|t| match t {
                Ok(t) => t.to,
                // More than 16 changes behind: resynchronise on the current status.
                Err(_lagged) => Health::Unknown,
            });
        futures_lite::stream::once(now).chain(changes)
    }

    fn view(&self) -> OwnedWatcher<Health, 16> {
        self.health.clone().watcher_owned()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let service = HealthService::new();

    // Three clients watch, each on a task of its own.
    let clients: Vec<_> = (0..3)
        .map(|id| {
            let mut stream = Box::pin(service.watch());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while let Some(status) = stream.next().await {
                    println!("client {id}: {status:?}");
                    seen.push(status);
                }
                seen
            })
        })
        .collect();

    // A readiness probe waits on a read-only view. Polled once here, it is
    // registered before the server starts, whenever its task first runs.
    let mut ready = Box::pin(service.view().wait_until_owned(Health::Serving));
    assert!(futures_lite::future::poll_once(&mut ready).await.is_none());
    let ready = tokio::spawn(ready);

    // The server: its guard sets `ShutDown` when it stops, here by
    // returning; a panic or a cancelled task would set it just the same.
    let health = service.health.clone();
    let server = tokio::spawn(async move {
        let _shut_down = health.clone().set_on_drop_owned(Health::ShutDown);
        health.set(Health::Serving);
        tokio::task::yield_now().await;
        // A dependency blips: out and back in, back to back.
        health.set(Health::NotServing);
        health.set(Health::Serving);
        tokio::task::yield_now().await;
    });

    assert_eq!(ready.await.unwrap(), Health::Serving);
    server.await.unwrap();
    for client in clients {
        let seen = client.await.unwrap();
        // Whenever a client started, it saw the outage and the end.
        let tail = &seen[seen.len() - 3..];
        assert_eq!(
            tail,
            [Health::NotServing, Health::Serving, Health::ShutDown],
            "{seen:?}"
        );
    }
    println!("every client saw the outage and the shutdown");
}
