//! An audit log of every transition of a busy observable, in order, from a
//! bounded history ring: `cargo run --example audit_log`.
//!
//! Three setter threads drive a job through its states concurrently. The
//! auditor subscribes and streams every transition: each `from` is the
//! previous `to` and versions go up by one, although the setters race. Then a
//! second, deliberately slow auditor falls more than the ring's capacity
//! behind and gets one explicit `Lagged` report with the exact count, never a
//! silent loss, and carries on.

use futures_lite::future::block_on;
use stateword::{Lagged, Observable, State, Transition};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Job {
    Queued,
    Running,
    Retrying,
    Done,
    Failed,
}

/// The last 64 transitions are kept: 64 x 16 bytes, fixed at compile time.
static JOB: Observable<Job, 64> = Observable::with_history(Job::Queued);

const SETTERS: usize = 3;
const STEPS: usize = 20;

fn main() {
    let mut auditor = JOB.subscribe();
    let mut slow = JOB.subscribe();

    let setters: Vec<_> = (0..SETTERS)
        .map(|id| {
            std::thread::spawn(move || {
                let script = [
                    Job::Running,
                    Job::Retrying,
                    Job::Running,
                    Job::Done,
                    Job::Queued,
                ];
                for step in 0..STEPS {
                    JOB.set(script[(step + id) % script.len()]);
                }
            })
        })
        .collect();

    // The auditor keeps up: it reads while the setters run.
    let mut log: Vec<Transition<Job>> = Vec::new();
    block_on(async {
        while log.len() < 16 {
            match auditor.next_transition().await {
                Ok(t) => log.push(t),
                Err(lag) => panic!("the auditor lagged: {lag}"),
            }
        }
    });
    for s in setters {
        s.join().unwrap();
    }
    while let Some(next) = auditor.try_next_transition() {
        log.push(next.expect("64 transitions of history cover 60 sets"));
    }

    println!("audit log: {} transitions, in order", log.len());
    for t in &log {
        println!("  v{:<3} {:?} -> {:?}", t.version, t.from, t.to);
    }
    for pair in log.windows(2) {
        assert_eq!(pair[1].version, pair[0].version + 1);
        assert_eq!(pair[1].from, pair[0].to);
    }
    assert_eq!(log.last().map(|t| t.to), Some(JOB.get()));

    // The slow auditor read nothing so far. Push the ring past it.
    for _ in 0..40 {
        let next = if JOB.get() == Job::Failed {
            Job::Queued
        } else {
            Job::Failed
        };
        JOB.set(next);
    }
    match slow.try_next_transition() {
        Some(Err(Lagged { missed })) => {
            println!("slow auditor: lagged, {missed} transitions were overwritten (reported once)");
            assert_eq!(missed, JOB.version() - 64);
        }
        other => panic!("expected a lag report, got {other:?}"),
    }
    let resumed = slow.try_next_transition().unwrap().unwrap();
    println!(
        "slow auditor: resumes at v{} ({:?} -> {:?}), the oldest transition retained",
        resumed.version, resumed.from, resumed.to
    );
    assert_eq!(resumed.version, JOB.version() - 63);
}
