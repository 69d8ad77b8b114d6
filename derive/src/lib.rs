//! `#[derive(State)]` for [stateword](https://docs.rs/stateword): turns an
//! enum (with or without data) or a struct of states into an observable
//! state, with an explicit encoding into the state word and an entry ledger.
//!
//! Use it through the `stateword` crate (its default `derive` feature):
//!
//! ```ignore
//! use stateword::{Observable, State};
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
//! enum Conn { Disconnected, Connecting, Connected { peer: u8 }, Closed { code: u16 } }
//!
//! static CONN: Observable<Conn> = Observable::new(Conn::Disconnected);
//! ```

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_macro_input, Data, DeriveInput, Error, Fields, Ident, Member};

/// The most variants an enum state may have: a waiter keeps one bit per
/// ledger variant in a `u64`, the observable one atomic word per variant.
const MAX_VARIANTS: usize = 64;

/// Derives `stateword::State` for an enum or a struct.
///
/// * **Enums** of 1 to 64 variants; variants may carry fields that are
///   themselves `State`s. The encoding is the variant's number, then its
///   fields. Each enum variant is one ledger variant.
/// * **Structs** (named, tuple or unit) whose fields are `State`s: the
///   fields' encodings side by side. Finite (one ledger variant per value)
///   when every field is finite and they have at most 64 values together;
///   otherwise level-triggered. `#[state(finite)]` makes "not finite" a
///   compile error.
///
/// The type must also be `Clone + Copy + PartialEq`; generics are rejected.
/// Whether the encoding fits the state word is checked where an observable
/// of it is built (it depends on the target's atomics).
#[proc_macro_derive(State, attributes(state))]
pub fn derive_state(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> Result<Tokens, Error> {
    let name = &input.ident;
    let state = expand_impl(input)?;
    // Where the type is defined: does its encoding fit this target's word?
    // Const panics cannot format numbers: one message per count.
    let too_wide = (1..=64u32).map(|n| {
        let message = format!(
            "`{name}`'s encoding is {n} bit{} too wide for the state word on this target, \
             which keeps at least 16 bits for the version (a state may use 48 bits with \
             64-bit atomics, 16 without); narrow a field (u16 for u32, an enum for a number) \
             or split the state",
            if n == 1 { "" } else { "s" }
        );
        quote!(#n => ::core::panic!(#message),)
    });
    Ok(quote! {
        #state
        const _: () = match ::stateword::__private::excess_bits::<#name>() {
            0 => (),
            #( #too_wide )*
            _ => ::core::panic!("this state's encoding is far too wide for the state word"),
        };
    })
}

fn expand_impl(input: &DeriveInput) -> Result<Tokens, Error> {
    if !input.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &input.generics,
            "#[derive(State)] does not support generics: a state has one fixed encoding; \
             remove the parameters (or write a `State` impl per concrete type)",
        ));
    }
    let finite = wants_finite(input)?;
    match &input.data {
        Data::Enum(data) => expand_enum(input, data, finite),
        Data::Struct(data) => expand_struct(input, &data.fields, finite),
        Data::Union(_) => Err(Error::new_spanned(
            &input.ident,
            "#[derive(State)] works on enums and structs, not unions: \
             a union's active field cannot be read safely",
        )),
    }
}

/// Whether the type says `#[state(finite)]`.
fn wants_finite(input: &DeriveInput) -> Result<bool, Error> {
    let mut finite = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("state")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("finite") {
                finite = true;
                Ok(())
            } else {
                Err(meta.error("unknown #[state] option; the only one is `finite`"))
            }
        })?;
    }
    Ok(finite)
}

/// One field: how the generated code names it and its `State` impl.
struct Field {
    member: Member,
    binding: Ident,
    /// `<Type as ::stateword::State>`, spanned at the field, so a field that
    /// is not a `State` is reported there.
    state: Tokens,
}

fn fields_of(fields: &Fields) -> Vec<Field> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ty = &f.ty;
            Field {
                member: f.ident.clone().map_or(Member::from(i), Member::Named),
                binding: format_ident!("__field{}", i),
                state: quote_spanned!(ty.span()=> <#ty as ::stateword::State>),
            }
        })
        .collect()
}

/// `path { a: __field0, .. }` / `path(__field0, ..)` / `path`, to match or build.
fn shape(path: &Tokens, fields: &Fields, bound: &[Field]) -> Tokens {
    let members = bound.iter().map(|f| &f.member);
    let bindings = bound.iter().map(|f| &f.binding);
    match fields {
        Fields::Unit => quote!(#path),
        _ => quote!(#path { #( #members: #bindings ),* }),
    }
}

/// The fields' encodings side by side, from bit `__at` up, or'ed into `__bits`.
fn encode_fields(fields: &[Field]) -> Tokens {
    let steps = fields.iter().map(|f| {
        let (state, binding) = (&f.state, &f.binding);
        quote! {
            __bits |= ::stateword::__private::shl(#state::encode(#binding), __at);
            __at += #state::BITS;
        }
    });
    quote!( #( #steps )* let _ = __at; )
}

/// Binds each field to its decoding from `__payload`, lowest bits first.
fn decode_fields(fields: &[Field]) -> Tokens {
    let steps = fields.iter().map(|f| {
        let (state, binding) = (&f.state, &f.binding);
        quote! {
            let #binding = #state::decode(
                ::stateword::__private::shr(__payload, __at) & ::stateword::__private::mask(#state::BITS),
            );
            __at += #state::BITS;
        }
    });
    quote!( let mut __at: u32 = 0; #( #steps )* let _ = __at; )
}

/// `0 + A::BITS + B::BITS ...`
fn sum_bits(fields: &[Field]) -> Tokens {
    let states = fields.iter().map(|f| &f.state);
    quote!( 0u32 #( + #states::BITS )* )
}

fn expand_enum(input: &DeriveInput, data: &syn::DataEnum, finite: bool) -> Result<Tokens, Error> {
    let name = &input.ident;
    let count = data.variants.len();
    if count == 0 {
        return Err(Error::new_spanned(
            name,
            "#[derive(State)] needs at least one variant: an empty enum has no value to observe",
        ));
    }
    if count > MAX_VARIANTS {
        return Err(Error::new(
            Span::call_site(),
            format!(
                "#[derive(State)] supports at most {MAX_VARIANTS} variants, `{name}` has {count}; \
                 split the state, or group variants under one that carries data"
            ),
        ));
    }
    if finite {
        if let Some(v) = data.variants.iter().find(|v| !v.fields.is_empty()) {
            return Err(Error::new_spanned(
                v,
                format!(
                    "`{name}` is #[state(finite)], but its variant `{}` carries data: \
                     a finite enum has fieldless variants only",
                    v.ident
                ),
            ));
        }
    }

    let tag_bits = tag_bits(count);
    let mut bits_of_variant = Vec::new();
    let mut encode_arms = Vec::new();
    let mut decode_arms = Vec::new();
    let mut index_arms = Vec::new();
    let mut only_value_arms = Vec::new();
    let mut unit_values = Vec::new();
    for (i, variant) in data.variants.iter().enumerate() {
        let ident = &variant.ident;
        let path = quote!(#name::#ident);
        let fields = fields_of(&variant.fields);
        let pattern = shape(&path, &variant.fields, &fields);
        let tag = i as u64;
        bits_of_variant.push(sum_bits(&fields));
        let encode = encode_fields(&fields);
        encode_arms.push(quote! {
            #pattern => {
                let mut __bits: u64 = #tag;
                let mut __at: u32 = #tag_bits;
                #encode
                __bits
            }
        });
        let decode = decode_fields(&fields);
        let body = quote!({ #decode #pattern });
        decode_arms.push(if i + 1 == count {
            quote!(_ => #body)
        } else {
            quote!(#tag => #body)
        });
        index_arms.push(quote!(#path { .. } => #i));
        if variant.fields.is_empty() {
            only_value_arms.push(quote!(#i => ::core::option::Option::Some(#path)));
            unit_values.push(path);
        }
    }
    let all_unit = unit_values.len() == count;
    let explicit_discriminants = data.variants.iter().any(|v| v.discriminant.is_some());
    // A fieldless enum with its default discriminants and representation is
    // stored as its bytes: they are its index (checked below at compile
    // time), one byte for up to 64 variants. Every other shape is encoded at
    // the first access of its observable.
    let has_repr = input.attrs.iter().any(|a| a.path().is_ident("repr"));
    let (initial, bytes_are_encoding) = if all_unit && !explicit_discriminants && !has_repr {
        let indices = 0..count as u64;
        let marker = quote! {
            #[automatically_derived]
            // SAFETY: a fieldless enum has no padding; the assertion below
            // stops the build unless it is at most 8 bytes and each value's
            // bytes are its index, which is `encode`, below 2^BITS; index 0
            // is the first variant.
            unsafe impl ::stateword::__private::BytesAreEncoding for #name {}
            const _: () = ::core::assert!(
                ::core::mem::size_of::<#name>() <= 8
                    #( && unsafe { ::stateword::__private::bytes_of(#unit_values) } == #indices )*,
                "stateword: this compiler lays out a fieldless enum other than by its index; \
                 please report it (a #[repr(u8)] on the enum works around it)"
            );
        };
        (quote!(::stateword::__private::BytesInitial), marker)
    } else {
        (quote!(::stateword::LazyInitial<#name>), quote!())
    };

    Ok(quote! {
        #[automatically_derived]
        impl ::stateword::State for #name {
            const BITS: u32 = {
                let mut __widest: u32 = 0;
                #( if #bits_of_variant > __widest { __widest = #bits_of_variant; } )*
                #tag_bits + __widest
            };
            const VARIANTS: usize = #count;
            const FINITE: bool = #all_unit;
            type Ledger = ::stateword::VariantLedger<#count>;
            type Initial = #initial;
            #[inline]
            #[allow(unused_variables, unused_mut, clippy::identity_op)]
            fn encode(self) -> u64 {
                match self {
                    #( #encode_arms )*
                }
            }
            #[inline]
            #[allow(unused_variables, unused_mut, clippy::match_single_binding)]
            fn decode(__bits: u64) -> Self {
                let __payload = ::stateword::__private::shr(__bits, #tag_bits);
                match __bits & ::stateword::__private::mask(#tag_bits) {
                    #( #decode_arms )*
                }
            }
            #[inline]
            fn index(self) -> usize {
                match self {
                    #( #index_arms, )*
                }
            }
            fn from_index(index: usize) -> ::core::option::Option<Self> {
                match index {
                    #( #only_value_arms, )*
                    _ => ::core::option::Option::None,
                }
            }
        }

        #bytes_are_encoding
    })
}

fn expand_struct(input: &DeriveInput, fields: &Fields, finite: bool) -> Result<Tokens, Error> {
    let name = &input.ident;
    let bound = fields_of(fields);
    let path = quote!(#name);
    let pattern = shape(&path, fields, &bound);
    let bits = sum_bits(&bound);
    let encode = encode_fields(&bound);
    let decode = decode_fields(&bound);
    let states: Vec<_> = bound.iter().map(|f| &f.state).collect();
    let product = quote! {
        ::stateword::__private::finite_product(&[ #( (#states::VARIANTS, #states::FINITE) ),* ])
    };
    let bindings: Vec<_> = bound.iter().map(|f| &f.binding).collect();
    let finite_check = finite.then(|| {
        let message = format!(
            "`{name}` is #[state(finite)], but is not finite: every field must be finite \
             (a fieldless enum, bool, a finite struct) and together they may have at most 64 values"
        );
        quote! {
            const _: () = ::core::assert!(#product != 0, #message);
        }
    });
    Ok(quote! {
        #finite_check

        #[automatically_derived]
        impl ::stateword::State for #name {
            const BITS: u32 = #bits;
            const VARIANTS: usize = #product;
            const FINITE: bool = #product != 0;
            type Ledger = <::stateword::__private::Finite<{ #product != 0 }>
                as ::stateword::__private::LedgerOf<{ #product }>>::Ledger;
            type Initial = ::stateword::LazyInitial<#name>;
            #[inline]
            #[allow(unused_variables, unused_mut)]
            fn encode(self) -> u64 {
                let #pattern = self;
                let mut __bits: u64 = 0;
                let mut __at: u32 = 0;
                #encode
                __bits
            }
            #[inline]
            #[allow(unused_variables, unused_mut)]
            fn decode(__bits: u64) -> Self {
                let __payload = __bits;
                #decode
                #pattern
            }
            /// Mixed radix over the fields' indices, the first lowest.
            #[inline]
            #[allow(unused_variables, unused_mut)]
            fn index(self) -> usize {
                if <Self as ::stateword::State>::VARIANTS == 0 {
                    return 0;
                }
                let #pattern = self;
                let mut __index: usize = 0;
                let mut __scale: usize = 1;
                #(
                    __index += #states::index(#bindings) * __scale;
                    __scale *= #states::VARIANTS;
                )*
                __index
            }
            #[allow(unused_variables, unused_mut)]
            fn from_index(index: usize) -> ::core::option::Option<Self> {
                if index >= <Self as ::stateword::State>::VARIANTS {
                    return ::core::option::Option::None;
                }
                let mut __rest = index;
                #(
                    let #bindings = #states::from_index(__rest.checked_rem(#states::VARIANTS)?)?;
                    __rest = __rest.checked_div(#states::VARIANTS)?;
                )*
                ::core::option::Option::Some(#pattern)
            }
        }
    })
}

/// The bits needed to tell `count` variants apart: 0 for one.
fn tag_bits(count: usize) -> u32 {
    if count <= 1 {
        0
    } else {
        usize::BITS - (count - 1).leading_zeros()
    }
}
