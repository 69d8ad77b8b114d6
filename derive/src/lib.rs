//! `#[derive(State)]` for [stateword](https://docs.rs/stateword): turns a
//! fieldless enum into a finite observable state, with one entry-ledger slot
//! per variant.
//!
//! Use it through the `stateword` crate (its default `derive` feature):
//!
//! ```ignore
//! use stateword::{Observable, State};
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
//! enum Conn { Disconnected, Connecting, Connected, Closing, Closed }
//!
//! static CONN: Observable<Conn> = Observable::new(Conn::Disconnected);
//! ```

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Error, Fields};

/// The most variants a finite state may have: a waiter keeps one bit per
/// variant in a `u64`, the observable one atomic word per variant.
const MAX_VARIANTS: usize = 64;

/// Integer representations that fit the state word (1 to 4 bytes).
const ALLOWED_REPRS: &[&str] = &["u8", "i8", "u16", "i16", "u32", "i32", "C"];

/// Derives `stateword::State` for a fieldless enum of 1 to 64 variants.
///
/// The enum must also be `Clone + Copy + PartialEq`. Data-carrying variants,
/// generics, empty enums and representations wider than 32 bits are rejected
/// with a compile error that says what to do.
#[proc_macro_derive(State)]
pub fn derive_state(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> Result<proc_macro2::TokenStream, Error> {
    let name = &input.ident;
    let data = match &input.data {
        Data::Enum(data) => data,
        _ => {
            return Err(Error::new_spanned(
                name,
                "#[derive(State)] works on fieldless enums only; \
                 for a number use u8/u16/u32/i8/i16/i32, which are already `State`",
            ))
        }
    };
    if !input.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &input.generics,
            "#[derive(State)] does not support generic enums: \
             a state must have one fixed set of variants; remove the type parameters",
        ));
    }
    check_repr(input)?;
    if data.variants.is_empty() {
        return Err(Error::new_spanned(
            name,
            "#[derive(State)] needs at least one variant: an empty enum has no value to observe",
        ));
    }
    if data.variants.len() > MAX_VARIANTS {
        return Err(Error::new(
            Span::call_site(),
            format!(
                "#[derive(State)] supports at most {MAX_VARIANTS} variants, `{name}` has {}; \
                 split the state, or use an integer state (level-triggered waits)",
                data.variants.len()
            ),
        ));
    }
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(Error::new_spanned(
                variant,
                format!(
                    "#[derive(State)] needs fieldless variants, `{}` carries data; \
                     keep the data elsewhere (e.g. behind a Mutex) and observe a fieldless enum",
                    variant.ident
                ),
            ));
        }
    }

    let count = data.variants.len();
    let variants: Vec<_> = data.variants.iter().map(|v| &v.ident).collect();
    let indices: Vec<_> = (0..count).collect();
    let out_of_range =
        format!("stateword: `{name}` has {count} variants, index {{}} is out of range");
    Ok(quote! {
        #[automatically_derived]
        // SAFETY: a fieldless enum with a repr of at most 32 bits is 1 to 4
        // bytes with every byte initialised; `index` and `from_index` are
        // inverse bijections with 0..VARIANTS, generated from the same list.
        unsafe impl ::stateword::State for #name {
            const VARIANTS: usize = #count;
            type Ledger = ::stateword::__private::VariantLedger<#count>;
            #[inline]
            fn index(self) -> usize {
                match self {
                    #( #name::#variants => #indices, )*
                }
            }
            fn from_index(index: usize) -> Self {
                match index {
                    #( #indices => #name::#variants, )*
                    _ => ::core::panic!(#out_of_range, index),
                }
            }
        }

        #[automatically_derived]
        // SAFETY: at most 64 variants use at most 64 of the 256+ bit patterns
        // of the enum's representation; `Option<Self>` puts `None` in another.
        unsafe impl ::stateword::HasSpareRoom for #name {}
    })
}

fn check_repr(input: &DeriveInput) -> Result<(), Error> {
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("repr")) {
        let mut result = Ok(());
        attr.parse_nested_meta(|meta| {
            let ok = ALLOWED_REPRS.iter().any(|r| meta.path.is_ident(r));
            if !ok && result.is_ok() {
                result = Err(Error::new_spanned(
                    &meta.path,
                    "#[derive(State)] needs a representation of at most 32 bits \
                     (u8, i8, u16, i16, u32, i32 or C): the value shares one atomic word \
                     with its version",
                ));
            }
            Ok(())
        })?;
        result?;
    }
    Ok(())
}
