//! Work shared among threads, with results that do not depend on how many: the items are dealt
//! to the threads in turn and each result lands at its item's place, so a caller that combines
//! results in item order gets the same numbers on one thread or many.

use crate::interrupt;

/// `f` applied to every item on up to `threads` threads (the calling thread is one of them);
/// the results in item order. Once the calling thread is done with its share it waits for the
/// others while checking for interrupts ([`crate::interrupt::check`]): a cancel raised then
/// stops the other threads (their `f` sees `check` fail) and goes out as soon as they return.
pub fn map<T: Send, R: Send>(items: Vec<T>, threads: usize, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let mut lanes: Vec<Vec<(usize, T)>> = (0..threads).map(|_| Vec::new()).collect();
    for (k, item) in items.into_iter().enumerate() {
        lanes[k % threads].push((k, item));
    }
    let group = interrupt::Group::start();
    let f = &f;
    let run = move |lane: Vec<(usize, T)>| lane.into_iter().map(|(k, t)| (k, f(t))).collect::<Vec<_>>();
    let (finished, signals) = std::sync::mpsc::channel();
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let mut lanes = lanes.into_iter();
        let first = lanes.next().unwrap_or_default();
        let handles: Vec<_> = lanes
            .map(|lane| {
                let enter = group.enter_thread();
                let finished = finished.clone();
                scope.spawn(move || {
                    enter();
                    let out = run(lane);
                    let _ = finished.send(());
                    out
                })
            })
            .collect();
        drop(finished);
        let mut all = run(first);
        // The interrupt hook raises here (the scope then waits for the stopped threads).
        let _ = interrupt::wait_for(handles.len(), &signals);
        for handle in handles {
            all.extend(handle.join().expect("worker thread panicked"));
        }
        all
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_item_order_on_any_number_of_threads() {
        let items: Vec<u64> = (0..1000).collect();
        let one = map(items.clone(), 1, |x| x * x);
        for threads in [2, 3, 7, 5000] {
            assert_eq!(map(items.clone(), threads, |x| x * x), one);
        }
        assert!(map(Vec::<u8>::new(), 4, |x| x).is_empty());
    }
}
