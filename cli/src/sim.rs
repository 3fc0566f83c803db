// SPDX-License-Identifier: MPL-2.0
//! `houmon sim vpcd`.

use std::time::Duration;

use houmon_vcard::{vpcd, CardConfig, Variant, VirtualCard};

pub fn variant(name: &str) -> Result<Variant, String> {
    Variant::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        format!("unknown variant {name:?}; one of: {}", names.join(", "))
    })
}

pub fn vpcd(host: &str, port: u16, variant_name: &str) -> Result<(), String> {
    let variant = variant(variant_name)?;
    // A desk tool may probe anything: refuse (and record) instead of crashing.
    let card = VirtualCard::new(CardConfig {
        variant,
        panic_on_violation: false,
        ..CardConfig::default()
    });
    let addr = format!("{host}:{port}");
    eprintln!("serving a virtual card ({}) to vpcd at {addr}; Ctrl-C to stop", variant.name());
    vpcd::serve(&card, &addr, Duration::from_millis(500), || true);
    Ok(())
}
