use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
enum Phase<T> {
    Idle,
    Busy,
    Marker(core::marker::PhantomData<T>),
}

fn main() {}
