use stateword::State;

#[derive(Clone, Copy, State)]
union Raw {
    a: u8,
    b: bool,
}

fn main() {}
