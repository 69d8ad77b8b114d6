//! Guarantee 5: concurrent setters are linearised by the CAS; every
//! transition has its own version, and observers see them in order.

use std::sync::Arc;

use stateword::Observable;

const THREADS: u32 = 4;
const PER_THREAD: u32 = if cfg!(miri) { 200 } else { 20_000 };

#[test]
fn concurrent_updates_each_get_a_unique_version() {
    let n = Arc::new(Observable::new(0u32));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let n = n.clone();
            std::thread::spawn(move || {
                for _ in 0..PER_THREAD {
                    n.update(|v| Some(v + 1)).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(n.get(), THREADS * PER_THREAD);
    assert_eq!(n.version(), u64::from(THREADS * PER_THREAD));
}

#[test]
fn exactly_one_compare_exchange_wins() {
    for _ in 0..if cfg!(miri) { 5 } else { 200 } {
        let n = Arc::new(Observable::new(0u8));
        let barrier = Arc::new(std::sync::Barrier::new(4));
        let handles: Vec<_> = (1..=4u8)
            .map(|i| {
                let (n, barrier) = (n.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    n.compare_exchange(0, i).is_ok()
                })
            })
            .collect();
        let wins = handles.into_iter().map(|h| h.join().unwrap());
        assert_eq!(wins.filter(|&won| won).count(), 1);
        assert_eq!(n.version(), 1);
    }
}

#[test]
fn observers_see_versions_and_values_in_order() {
    // Each transition adds one, so value == version at every point; a reader
    // must never see either go backwards, nor a wait return an older value.
    let n = Arc::new(Observable::new(0u32));
    let setters: Vec<_> = (0..THREADS)
        .map(|_| {
            let n = n.clone();
            std::thread::spawn(move || {
                for _ in 0..PER_THREAD / 4 {
                    n.update(|v| Some(v + 1)).unwrap();
                }
            })
        })
        .collect();
    let reader = {
        let n = n.clone();
        std::thread::spawn(move || {
            let (mut last_value, mut last_version) = (0, 0);
            let total = THREADS * PER_THREAD / 4;
            while last_value < total {
                let value = futures_lite::future::block_on(n.wait_for(|v| v > last_value));
                let version = n.version();
                assert!(value > last_value, "went from {last_value} to {value}");
                assert!(version >= u64::from(value));
                assert!(version >= last_version);
                last_value = value;
                last_version = version;
            }
        })
    };
    for s in setters {
        s.join().unwrap();
    }
    reader.join().unwrap();
}
