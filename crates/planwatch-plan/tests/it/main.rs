//! Integration tests of the plan crate: the embedded Chengdu plan against its source text,
//! broken plan files against their expected diagnostics, and round trips.

mod broken;
mod chengdu;
mod roundtrip;

/// The example plan every broken file is made from.
pub(crate) const EXAMPLE: &str = include_str!("../../../../plans/example-minimal.toml");
