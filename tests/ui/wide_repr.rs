use stateword::State;

#[derive(Clone, Copy, PartialEq, State)]
#[repr(u64)]
enum Wide {
    A,
    B = 1 << 40,
}

fn main() {}
