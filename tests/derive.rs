//! `#[derive(State)]`: what it accepts, and the compile errors for what it
//! rejects (trybuild, `tests/ui/`).

use stateword::{Observable, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
#[repr(u8)]
enum Sparse {
    Low = 10,
    Mid = 20,
    High = 200,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
#[repr(i32)]
enum Signed {
    Neg = -5,
    Pos = 70_000,
}

#[test]
fn explicit_discriminants_get_dense_indices() {
    assert_eq!(Sparse::VARIANTS, 3);
    assert_eq!(
        [Sparse::Low, Sparse::Mid, Sparse::High].map(Sparse::index),
        [0, 1, 2]
    );
    assert_eq!(Sparse::from_index(2), Some(Sparse::High));
    let o = Observable::new(Sparse::High);
    assert_eq!(o.set(Sparse::Low), Sparse::High);
    assert_eq!(o.get(), Sparse::Low);
    let s = Observable::new(Signed::Neg);
    s.set(Signed::Pos);
    assert_eq!(s.get(), Signed::Pos);
    assert_eq!(Signed::Pos.index(), 1);
}

macro_rules! sixty_four {
    ($($v:ident)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
        enum Wide { $($v),* }
        const WIDE: &[Wide] = &[$(Wide::$v),*];
    };
}
sixty_four!(
    A0 A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16 A17 A18 A19 A20 A21 A22 A23
    A24 A25 A26 A27 A28 A29 A30 A31 A32 A33 A34 A35 A36 A37 A38 A39 A40 A41 A42 A43 A44 A45
    A46 A47 A48 A49 A50 A51 A52 A53 A54 A55 A56 A57 A58 A59 A60 A61 A62 A63
);

#[test]
fn sixty_four_variants_are_accepted_and_the_last_is_exact() {
    assert_eq!(Wide::VARIANTS, 64);
    let o = Observable::new(Wide::A0);
    let mut w = std::pin::pin!(o.wait_until(Wide::A63));
    futures_lite::future::block_on(async {
        assert!(futures_lite::future::poll_once(&mut w).await.is_none());
        o.set(Wide::A63);
        o.set(Wide::A1);
        assert_eq!(w.await, Wide::A63);
    });
    for (i, v) in WIDE.iter().enumerate() {
        assert_eq!(v.index(), i);
    }
}

#[test]
fn misuse_is_a_compile_error_that_says_what_to_do() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
