//! The synchronous surface: get, set, compare_exchange, update, version, and
//! guarantee 4 (setting an equal value is a no-op).

mod common;

use common::{register, Conn};
use futures_lite::future::{block_on, poll_once};
use stateword::{Observable, State};

#[test]
fn set_returns_the_previous_value_and_counts_transitions() {
    let conn = Observable::new(Conn::Disconnected);
    assert_eq!(conn.get(), Conn::Disconnected);
    assert_eq!(conn.version(), 0);
    assert_eq!(conn.set(Conn::Connecting), Conn::Disconnected);
    assert_eq!(conn.set(Conn::Connected), Conn::Connecting);
    assert_eq!(conn.get(), Conn::Connected);
    assert_eq!(conn.version(), 2);
}

#[test]
fn setting_an_equal_value_bumps_nothing_and_wakes_nobody() {
    let conn = Observable::new(Conn::Connected);
    block_on(async {
        let mut changed = std::pin::pin!(conn.changed());
        register(&mut changed).await;
        assert_eq!(conn.set(Conn::Connected), Conn::Connected);
        assert_eq!(
            conn.compare_exchange(Conn::Connected, Conn::Connected),
            Ok(Conn::Connected)
        );
        assert_eq!(conn.update(Some), Ok(Conn::Connected));
        assert_eq!(conn.version(), 0);
        assert!(
            poll_once(&mut changed).await.is_none(),
            "an equal set woke changed()"
        );
        conn.set(Conn::Closing);
        assert_eq!(changed.await, Conn::Closing);
    });
}

#[test]
fn compare_exchange_succeeds_only_from_the_expected_value() {
    let conn = Observable::new(Conn::Connecting);
    assert_eq!(
        conn.compare_exchange(Conn::Connecting, Conn::Connected),
        Ok(Conn::Connecting)
    );
    assert_eq!(
        conn.compare_exchange(Conn::Connecting, Conn::Closed),
        Err(Conn::Connected)
    );
    assert_eq!(conn.get(), Conn::Connected);
    assert_eq!(conn.version(), 1);
}

#[test]
fn update_has_fetch_update_semantics() {
    let count = Observable::new(10u32);
    assert_eq!(count.update(|n| Some(n * 2)), Ok(10));
    assert_eq!(count.update(|n| (n > 100).then_some(0)), Err(20));
    assert_eq!(count.get(), 20);
    assert_eq!(count.version(), 1);
    let mut calls = Vec::new();
    assert_eq!(
        count.update(|n| {
            calls.push(n);
            n.checked_sub(5)
        }),
        Ok(20)
    );
    // A weak CAS may fail spuriously (Miri makes it happen): `f` may then run
    // again, on the same value.
    assert!(
        !calls.is_empty() && calls.iter().all(|&n| n == 20),
        "{calls:?}"
    );
    assert_eq!(count.get(), 15);
}

#[test]
fn every_builtin_state_round_trips() {
    fn check<S: State + std::fmt::Debug>(a: S, b: S) {
        let o = Observable::new(a);
        assert_eq!(o.get(), a);
        assert_eq!(o.set(b), a);
        assert_eq!(o.get(), b);
        assert_eq!(o.version(), 1);
    }
    check(false, true);
    check(0u8, u8::MAX);
    check(1u16, u16::MAX);
    check(7u32, u32::MAX);
    check(-1i8, i8::MIN);
    check(i16::MIN, i16::MAX);
    check(i32::MIN, -1);
    check('a', char::MAX);
    check(None, Some(Conn::Closed));
    check(Some(false), None);
    check(Some('x'), None);
}

#[test]
fn option_and_bool_are_finite_with_none_first() {
    assert_eq!(bool::VARIANTS, 2);
    assert_eq!(Conn::VARIANTS, 5);
    assert_eq!(Option::<Conn>::VARIANTS, 6);
    assert_eq!(None::<Conn>.index(), 0);
    assert_eq!(Some(Conn::Disconnected).index(), 1);
    for i in 0..6 {
        assert_eq!(Option::<Conn>::from_index(i).map(State::index), Some(i));
    }
    assert_eq!(
        [bool::FINITE, Conn::FINITE, Option::<Conn>::FINITE],
        [true; 3]
    );
    assert_eq!(char::VARIANTS, 0);
    // `Option` of a level-triggered state: `None` and `Some`, the latter
    // with data.
    assert_eq!(Option::<char>::VARIANTS, 2);
    assert_eq!(Option::<char>::from_index(0), Some(None));
    assert_eq!(Option::<char>::from_index(1), None);
    assert_eq!(Some('x').index(), 1);
    assert_eq!([Option::<char>::FINITE], [false]);
}

#[test]
fn from_index_has_no_value_for_integers_data_or_out_of_range() {
    assert_eq!(u8::from_index(0), None);
    assert_eq!(Conn::from_index(5), None);
    assert_eq!(Option::<Conn>::from_index(6), None);
}

#[test]
fn statics_default_from_and_debug() {
    static READY: Observable<bool> = Observable::new(false);
    assert!(!READY.get());
    let d: Observable<u16> = Observable::default();
    assert_eq!(d.get(), 0);
    let f = Observable::from(Conn::Closed);
    f.set(Conn::Disconnected);
    assert_eq!(
        format!("{f:?}"),
        "Observable { value: Disconnected, version: 1, waiters: 0, history: 0 }"
    );
}

#[test]
fn waiter_count_follows_registrations() {
    let o = Observable::new(0u8);
    block_on(async {
        let mut a = std::pin::pin!(o.wait_for(|n| n == 2));
        let mut b = std::pin::pin!(o.changed());
        let mut immediate = std::pin::pin!(o.wait_for(|n| n == 0));
        assert_eq!(poll_once(&mut immediate).await, Some(0));
        assert_eq!(
            o.waiter_count(),
            0,
            "a wait satisfied at its first check registers nothing"
        );
        register(&mut a).await;
        register(&mut b).await;
        assert_eq!(o.waiter_count(), 2);
        o.set(1);
        assert_eq!(b.await, 1);
        assert_eq!(o.waiter_count(), 1);
        o.set(2);
        assert_eq!(a.await, 2);
        assert_eq!(o.waiter_count(), 0);
    });
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn polling_a_completed_wait_panics_with_a_message() {
    let o = Observable::new(1u8);
    let mut w = std::pin::pin!(o.wait_for(|n| n == 1));
    assert_eq!(block_on(poll_once(&mut w)), Some(1));
    let _ = block_on(poll_once(&mut w));
}

// Compile-time checks of auto traits, for the two tests below.
fn send_sync<T: Send + Sync>() {}
fn send_sync_static<T: Send + Sync + 'static>() {}
fn unpin<T: Unpin>() {}
fn clone<T: Clone>() {}
fn copy<T: Copy>() {}
/// Compiles only for `!Unpin` types: for an `Unpin` type both impls apply
/// and the call is ambiguous (the usual negative-bound trick).
trait AmbiguousIfUnpin<A> {
    fn check() {}
}
impl<T: ?Sized> AmbiguousIfUnpin<()> for T {}
impl<T: ?Sized + Unpin> AmbiguousIfUnpin<u8> for T {}
fn not_unpin<T: AmbiguousIfUnpin<A>, A>() {
    T::check()
}

/// The auto traits of the public types do not depend on the features:
/// wait futures and streams are `Send + Sync` and `!Unpin` (the notify list
/// links the node inside them), a `Subscriber` is a plain cursor,
/// `Send + Sync + Unpin`. This file runs with and without `std` in CI.
#[test]
fn auto_traits_are_the_same_with_every_feature_set() {
    use stateword::{Changed, Changes, NextTransition, Subscriber, SubscriberChanged};
    use stateword::{Transitions, WaitFor, WaitUntil};

    type Pred = fn(Conn) -> bool;
    send_sync::<WaitFor<'static, Conn, Pred>>();
    send_sync::<WaitUntil<'static, Conn>>();
    send_sync::<Changed<'static, Conn>>();
    send_sync::<SubscriberChanged<'static, 'static, Conn, 4>>();
    send_sync::<NextTransition<'static, 'static, Conn, 4>>();
    send_sync::<Changes<'static, 'static, Conn, 4>>();
    send_sync::<Transitions<'static, 'static, Conn, 4>>();
    send_sync::<Subscriber<'static, Conn, 4>>();
    send_sync::<Observable<Conn, 4>>();
    unpin::<Subscriber<'static, Conn, 4>>();
    not_unpin::<WaitFor<'static, Conn, Pred>, _>();
    not_unpin::<WaitUntil<'static, Conn>, _>();
    not_unpin::<Changed<'static, Conn>, _>();
    not_unpin::<SubscriberChanged<'static, 'static, Conn, 4>, _>();
    not_unpin::<NextTransition<'static, 'static, Conn, 4>, _>();
    not_unpin::<Changes<'static, 'static, Conn, 4>, _>();
    not_unpin::<Transitions<'static, 'static, Conn, 4>, _>();
}

/// The handles added for spawned tasks, servers and lifecycles: owned waits
/// and streams are `Send + Sync + 'static` and `!Unpin` like the borrowed
/// ones; the guard is `Send + Sync + Unpin`; `until` keeps its stream's
/// traits; a subscriber clones.
#[test]
fn auto_traits_of_owned_handles_guards_and_adapters() {
    use stateword::{Changes, IntoChanges, IntoTransitions, OwnedChanged, OwnedWaitFor};
    use stateword::{OwnedWaitUntil, SetOnDrop, Subscriber, Transitions, Until, WaitForSome};

    type Pred = fn(Conn) -> bool;
    type Ends = fn(Conn) -> bool;
    send_sync_static::<OwnedWaitFor<Conn, Pred>>();
    send_sync_static::<OwnedWaitUntil<Conn, 4>>();
    send_sync_static::<OwnedChanged<Conn>>();
    send_sync_static::<IntoChanges<'static, Conn>>();
    send_sync_static::<IntoTransitions<'static, Conn, 4>>();
    send_sync_static::<Until<IntoTransitions<'static, Conn, 4>, Ends>>();
    send_sync_static::<SetOnDrop<'static, Conn>>();
    send_sync::<WaitForSome<'static, bool, fn(bool) -> bool>>();
    send_sync::<Until<Changes<'static, 'static, Conn, 0>, Ends>>();
    not_unpin::<OwnedWaitFor<Conn, Pred>, _>();
    not_unpin::<OwnedWaitUntil<Conn>, _>();
    not_unpin::<OwnedChanged<Conn>, _>();
    not_unpin::<IntoChanges<'static, Conn>, _>();
    not_unpin::<IntoTransitions<'static, Conn, 4>, _>();
    not_unpin::<WaitForSome<'static, bool, fn(bool) -> bool>, _>();
    not_unpin::<Until<Transitions<'static, 'static, Conn, 4>, Ends>, _>();
    unpin::<SetOnDrop<'static, Conn>>();
    clone::<Subscriber<'static, Conn, 4>>();
    send_sync::<stateword::Watcher<'static, Conn, 4>>();
    copy::<stateword::Watcher<'static, Conn, 4>>();
    send_sync_static::<stateword::OwnedWatcher<Conn, 4>>();
    clone::<stateword::OwnedWatcher<Conn, 4>>();
    unpin::<stateword::OwnedWatcher<Conn, 4>>();
}

/// The types a hand-written `State` impl names, and a data-carrying
/// observable: plain data, `Send + Sync + Unpin`; the initial-value slot is
/// `Copy`, like the state it holds.
#[test]
fn auto_traits_of_ledgers_initial_slots_and_data_states() {
    use stateword::{LazyInitial, NoLedger, VariantLedger};

    #[derive(Clone, Copy, Debug, PartialEq, Eq, stateword::State)]
    enum Link {
        Down,
        Closed { code: u16 },
    }
    send_sync_static::<NoLedger>();
    send_sync_static::<VariantLedger<5>>();
    send_sync_static::<LazyInitial<Link>>();
    unpin::<VariantLedger<5>>();
    unpin::<LazyInitial<Link>>();
    copy::<LazyInitial<Link>>();
    send_sync::<Observable<Link, 4>>();
    send_sync::<Observable<Option<u16>>>();
    not_unpin::<stateword::WaitFor<'static, Link, fn(Link) -> bool>, _>();
    let _ = (Link::Down, Link::Closed { code: 0 });
}

/// A read-only view waits and subscribes like its observable, and its
/// handles follow the observable, not the view.
#[test]
fn watchers_read_wait_and_subscribe() {
    let conn = std::sync::Arc::new(Observable::new(Conn::Connected));
    let view = conn.watcher();
    let owned = conn.clone().watcher_owned();
    let mut sub = view.subscribe();
    let mut owned_sub = owned.subscribe_owned();
    block_on(async {
        let mut drain = std::pin::pin!(view.wait_until(Conn::Closing));
        register(&mut drain).await;
        let mut owned_drain = Box::pin(owned.clone().wait_until_owned(Conn::Closing));
        register(&mut owned_drain).await;
        conn.set(Conn::Closing);
        conn.set(Conn::Closed);
        assert_eq!(drain.await, Conn::Closing);
        assert_eq!(owned_drain.await, Conn::Closing);
    });
    assert_eq!((view.get(), view.version()), (Conn::Closed, 2));
    assert_eq!((owned.get(), owned.version()), (Conn::Closed, 2));
    assert_eq!(block_on(sub.changed()), Conn::Closed);
    assert_eq!(block_on(owned_sub.changed()), Conn::Closed);
    assert_eq!(
        block_on(owned.watcher().wait_for(|s| s == Conn::Closed)),
        Conn::Closed
    );
    let peer = Observable::new(Some(Conn::Closed));
    assert_eq!(
        block_on(peer.watcher().wait_for_some(|_| true)),
        Conn::Closed
    );
    drop((owned, owned_sub));
    assert_eq!(std::sync::Arc::strong_count(&conn), 1);
}
