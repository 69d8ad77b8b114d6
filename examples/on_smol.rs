//! stateword on smol: tasks on smol's executor wait on a `static
//! Observable<Option<Node>>`, and a timeout is a race with `smol::Timer`.
//!
//! A small cluster elects a leader. Followers wait for *any* leader
//! (`wait_for(|l| l.is_some())`, asyncio's `wait_for_not_none`); a fencing
//! task must stop writes whenever the cluster is leaderless, even for an
//! instant. The leader fails over `Some(A) → None → Some(B)` back to back and
//! the fencing task still sees the `None`. Then a wait with a timeout that
//! expires, and a handover with `compare_exchange` that a second wait sees in
//! time.
//!
//! Run it with `cargo run --example on_smol`.

use std::future::Future;
use std::time::Duration;

use futures_lite::future::{self, poll_once};
use smol::Timer;
use stateword::{Observable, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Node {
    A,
    B,
    C,
}

/// The current leader, if any. `Option<Node>` fits the word like `Node` does:
/// `None` takes a bit pattern that `Node` never uses.
static LEADER: Observable<Option<Node>> = Observable::new(None);
/// How many tasks have registered their waits: the main task's handshake.
static LISTENING: Observable<u32> = Observable::new(0);

const FOLLOWERS: u32 = 3;

/// `fut`'s output, or `None` if `timeout` passes first. Dropping the losing
/// wait future is always safe: stateword's waits are cancel-safe.
async fn with_timeout<T>(timeout: Duration, fut: impl Future<Output = T>) -> Option<T> {
    future::or(async { Some(fut.await) }, async {
        Timer::after(timeout).await;
        None
    })
    .await
}

/// Polls `wait` once, which registers it, and counts it as listening.
async fn listen<F: Future + Unpin>(wait: &mut F) {
    assert!(
        poll_once(wait).await.is_none(),
        "nothing happens before the handshake"
    );
    LISTENING.update(|n| Some(n + 1)).unwrap();
}

async fn follower() -> Option<Node> {
    let mut any_leader = std::pin::pin!(LEADER.wait_for(|l| l.is_some()));
    listen(&mut any_leader).await;
    any_leader.await
}

/// Waits for the next time the cluster is leaderless, ignoring that it is
/// leaderless right now, and returns what it saw and what the leader was
/// by the time it ran.
async fn fencing() -> (Option<Node>, Option<Node>) {
    let mut leaderless = std::pin::pin!(LEADER.wait_for_next(|l| l.is_none()));
    listen(&mut leaderless).await;
    // Come back only once B leads: the None is long gone by then.
    LEADER.wait_until(Some(Node::B)).await;
    let seen = leaderless.await;
    (seen, LEADER.get())
}

fn main() {
    smol::block_on(async {
        let followers: Vec<_> = (0..FOLLOWERS).map(|_| smol::spawn(follower())).collect();
        let fence = smol::spawn(fencing());
        LISTENING.wait_for(|n| n == FOLLOWERS + 1).await;

        println!("[election] {} tasks listening: A is elected", FOLLOWERS + 1);
        LEADER.set(Some(Node::A));
        for (id, follower) in followers.into_iter().enumerate() {
            println!("[follower {id}] following {:?}", follower.await);
        }

        println!("[election] A fails, B takes over: None, Some(B) back to back");
        LEADER.set(None);
        LEADER.set(Some(Node::B));
        let (seen, now) = fence.await;
        println!("[fencing] saw {seen:?} (leader {now:?} by then): writes were fenced");
        assert_eq!(seen, None);
        assert_eq!(now, Some(Node::B));

        // A timeout that expires: nobody elects C.
        let waited =
            with_timeout(Duration::from_millis(50), LEADER.wait_until(Some(Node::C))).await;
        println!(
            "[main] wait for leader C, 50 ms timeout: {waited:?}; waits left registered: {}",
            LEADER.waiter_count()
        );
        assert_eq!(waited, None);
        assert_eq!(LEADER.waiter_count(), 0);

        // A timeout that does not expire: register, then B hands over to C.
        let mut changed = std::pin::pin!(LEADER.changed());
        assert!(poll_once(&mut changed).await.is_none());
        let handover = smol::spawn(async {
            println!("[B] hands over to C, if it still leads");
            LEADER.compare_exchange(Some(Node::B), Some(Node::C))
        });
        let waited = with_timeout(Duration::from_secs(10), changed).await;
        println!("[main] wait for a change, 10 s timeout: {waited:?}");
        assert_eq!(waited, Some(Some(Node::C)));
        assert_eq!(handover.await, Ok(Some(Node::B)));

        println!("[main] done after {} leader changes", LEADER.version());
    });
}
