use stateword::{Observable, State};

// 1 bit for the variant, then 32 + 16 bits of data: 49 bits, and the
// "not yet encoded" flag, where 64-bit targets allow 48.
#[derive(Clone, Copy, PartialEq, State)]
enum Reply {
    Pending,
    Done { bytes: u32, status: u16 },
}

fn main() {
    let reply = Observable::new(Reply::Pending);
    reply.set(Reply::Done { bytes: 1, status: 200 });
}
