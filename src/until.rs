//! [`Until`]: a subscriber's stream up to and including a terminal state,
//! then the end.

use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;
use pin_project_lite::pin_project;

pin_project! {
    /// A subscriber's stream up to and including the first item whose state
    /// `is_end` accepts (a terminal state), then the end: from `until` on
    /// [`Changes`](crate::Changes), [`Transitions`](crate::Transitions) and
    /// their owned forms.
    ///
    /// The end is decided on the item itself: a value read with its version
    /// in one load, or one transition. A close that lands while the stream
    /// runs is yielded, then ends it; nothing before it is dropped. On
    /// `changes`, which coalesces, a terminal state entered and left again
    /// between two polls (a restart) is not seen; on `transitions` (an
    /// observable with history) every transition up to the terminal one is
    /// yielded, in order, or reported in a [`Lagged`](crate::Lagged).
    ///
    /// ```
    /// use futures_lite::{future::block_on, StreamExt};
    /// use stateword::{Observable, State};
    ///
    /// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
    /// enum Health { Serving, NotServing, Gone }
    ///
    /// let health: Observable<Health, 8> = Observable::with_history(Health::Serving);
    /// let mut sub = health.subscribe();
    /// let updates = sub.transitions().until(|h| h == Health::Gone);
    /// health.set(Health::NotServing);
    /// health.set(Health::Serving);
    /// health.set(Health::Gone); // back to back: all three are yielded, then the end
    /// let seen: Vec<Health> = block_on(updates.map(|t| t.unwrap().to).collect());
    /// assert_eq!(seen, [Health::NotServing, Health::Serving, Health::Gone]);
    /// ```
    #[must_use = "streams do nothing unless polled"]
    #[derive(Debug)]
    pub struct Until<St, P> {
        #[pin]
        stream: St,
        is_end: P,
        ended: bool,
    }
}

/// A stream of the crate's whose items carry a state: what [`Until`] looks
/// at. Implemented by the subscriber streams only.
pub trait StateStream: Stream + sealed::Sealed {
    /// The observable's state type.
    type State;

    /// The state `item` carries, if any (a [`Lagged`](crate::Lagged) report
    /// carries none).
    ///
    /// ```
    /// use stateword::{Observable, StateStream, Transitions};
    ///
    /// let t = Ok(stateword::Transition { from: 1u8, to: 2, version: 1 });
    /// assert_eq!(<Transitions<'_, '_, u8, 4> as StateStream>::state(&t), Some(2));
    /// ```
    fn state(item: &Self::Item) -> Option<Self::State>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
}

impl<St, P> Until<St, P> {
    pub(crate) fn new(stream: St, is_end: P) -> Self {
        Until {
            stream,
            is_end,
            ended: false,
        }
    }
}

impl<St: StateStream, P: FnMut(St::State) -> bool> Stream for Until<St, P> {
    type Item = St::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<St::Item>> {
        let this = self.project();
        if *this.ended {
            return Poll::Ready(None);
        }
        let item = match this.stream.poll_next(cx) {
            Poll::Ready(Some(item)) => item,
            other => return other,
        };
        *this.ended = St::state(&item).is_some_and(this.is_end);
        Poll::Ready(Some(item))
    }
}

/// Implements [`StateStream`] for a subscriber stream, and its `until`.
macro_rules! state_stream {
    ($name:ident [$($impl_generics:tt)*] [$($param:tt),*] |$item:ident| $state:expr) => {
        impl<$($impl_generics)*> $crate::until::sealed::Sealed for $name<$($param),*> {}

        impl<$($impl_generics)*> $crate::until::StateStream for $name<$($param),*> {
            type State = S;

            fn state($item: &Self::Item) -> Option<S> {
                $state
            }
        }

        impl<$($impl_generics)*> $name<$($param),*> {
            /// This stream up to and including the first item whose state
            /// `is_end` accepts, then the end: see [`Until`](crate::Until).
            ///
            /// ```
            /// use futures_lite::{future::block_on, StreamExt};
            ///
            /// let level = stateword::Observable::new(0u8);
            /// let mut sub = level.subscribe();
            /// let stream = sub.changes().until(|n| n == 9);
            /// level.set(9);
            /// assert_eq!(block_on(stream.collect::<Vec<_>>()), [9]);
            /// ```
            pub fn until<P: FnMut(S) -> bool>(self, is_end: P) -> $crate::Until<Self, P> {
                $crate::Until::new(self, is_end)
            }
        }
    };
}
pub(crate) use state_stream;
