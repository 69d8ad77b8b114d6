//! Workloads 1 and 2 of issue 6: `get` (uncontended read) and `set` with no
//! waiter, alternating two values so every call is a real transition; and
//! `set-parked`, the same `set` while one wait is parked (registered, polled
//! once, never polled again: a shutdown waiter while the state churns).
//!
//! One operation per criterion iteration, on a leaked instance reached
//! through `black_box`, so the compiler can neither hoist the load nor fold
//! the stores. Every peer pays the same loop overhead (about a cycle), which
//! pulls ratios slightly towards 1; the raw atomic rows show that floor.

#![allow(clippy::incompatible_msrv)] // benches are not built at the MSRV

mod common;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Waker};
use std::time::Duration;

use common::{Conn, Peer};
use criterion::{criterion_group, criterion_main, Criterion};

fn get(c: &mut Criterion) {
    let mut group = c.benchmark_group("get");
    for_each_peer!(P => {
        let peer = P::leak(Conn::Connected);
        group.bench_function(P::NAME, |b| b.iter(|| black_box(peer).get()));
    });
    let raw = Box::leak(Box::new(AtomicU32::new(Conn::Connected.code())));
    group.bench_function("raw atomic", |b| {
        b.iter(|| black_box(&*raw).load(Ordering::Acquire))
    });
    group.finish();
}

fn set(c: &mut Criterion) {
    let mut group = c.benchmark_group("set");
    for_each_peer!(P => {
        let peer = P::leak(Conn::Connected);
        group.bench_function(P::NAME, |b| {
            let mut flip = false;
            b.iter(|| {
                flip = !flip;
                black_box(peer).set(if flip { Conn::Connecting } else { Conn::Connected });
            })
        });
    });
    // The floor: one successful CAS per call, as a `set` that must return the
    // previous value (and so cannot be a plain store) needs at least.
    let raw = Box::leak(Box::new(AtomicU32::new(Conn::Connected.code())));
    group.bench_function("raw atomic", |b| {
        let mut flip = false;
        b.iter(|| {
            flip = !flip;
            let (from, to) = if flip {
                (Conn::Connected, Conn::Connecting)
            } else {
                (Conn::Connecting, Conn::Connected)
            };
            black_box(&*raw).compare_exchange(
                from.code(),
                to.code(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
        })
    });
    group.finish();
}

/// A wait for a value the bench never sets: it stays parked. Each peer then
/// does what it does for a waiter it woke that has not run yet.
fn never_satisfied<P: Peer>(peer: &'static P) -> Pin<Box<dyn Future<Output = Conn>>> {
    Box::pin(async move {
        let mut waiter = peer.waiter();
        peer.wait_until(&mut waiter, Conn::Closed).await
    })
}

fn set_parked(c: &mut Criterion) {
    let mut group = c.benchmark_group("set-parked");
    for_each_peer!(P => {
        let peer = P::leak(Conn::Connected);
        let mut wait = never_satisfied(peer);
        let polled = wait.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert!(polled.is_pending());
        group.bench_function(P::NAME, |b| {
            let mut flip = false;
            b.iter(|| {
                flip = !flip;
                black_box(peer).set(if flip { Conn::Connecting } else { Conn::Connected });
            })
        });
        drop(wait);
    });
    group.finish();
}

criterion_group! {
    name = ops;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .nresamples(20_000);
    targets = get, set, set_parked
}
criterion_main!(ops);
