// SPDX-License-Identifier: MPL-2.0
//! The card layer's imports run one way: each module may use only the
//! modules listed before it here (bottom up, as `mod.rs` describes them). Read from the
//! sources, so that an import added later that goes up — and would close a
//! circle — fails here.

/// The modules, bottom up, and their sources (up to their unit tests, which
/// may use anything).
const MODULES: &[(&str, &str)] = &[
    ("sw", include_str!("sw.rs")),
    ("tlv", include_str!("tlv.rs")),
    ("ids", include_str!("ids.rs")),
    ("apdu", include_str!("apdu.rs")),
    ("transport", include_str!("transport.rs")),
    ("error", include_str!("error.rs")),
    ("cert", include_str!("cert.rs")),
    ("photo", include_str!("photo.rs")),
    ("credentials", include_str!("credentials.rs")),
    ("variant", include_str!("variant.rs")),
    ("plan", include_str!("plan.rs")),
    ("progress", include_str!("progress.rs")),
    ("guard", include_str!("guard.rs")),
    ("binary", include_str!("binary.rs")),
    ("verify", include_str!("verify.rs")),
    ("jpki", include_str!("jpki.rs")),
    ("kenmen", include_str!("kenmen.rs")),
    ("reader", include_str!("reader.rs")),
];

/// The card modules a source names (`crate::card::NAME`), outside its tests.
fn uses(source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::card::") {
        let rest = &code[i + "crate::card::".len()..];
        let name: String =
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Every import that does not go down: (module, what it uses).
fn upward(modules: &[(&str, &str)]) -> Vec<(String, String)> {
    let rank = |name: &str| modules.iter().position(|(m, _)| *m == name);
    let mut bad = Vec::new();
    for (i, (name, source)) in modules.iter().enumerate() {
        for used in uses(source) {
            match rank(&used) {
                Some(j) if j < i => {}
                _ => bad.push((name.to_string(), used)),
            }
        }
    }
    bad
}

#[test]
fn layers_run_one_way() {
    assert_eq!(upward(MODULES), Vec::<(String, String)>::new(), "an import goes up a layer");
}

#[test]
fn every_card_module_is_in_the_layer_list() {
    let mut listed: Vec<&str> = MODULES.iter().map(|(m, _)| *m).collect();
    listed.sort_unstable();
    let mut declared: Vec<&str> = include_str!("mod.rs")
        .lines()
        .filter_map(|l| {
            l.trim().strip_prefix("pub mod ").or(l.trim().strip_prefix("pub(crate) mod "))
        })
        .map(|l| l.trim_end_matches(';'))
        .filter(|m| *m != "layers")
        .collect();
    declared.sort_unstable();
    assert_eq!(declared, listed, "mod.rs and the layer list name the same modules");
}

#[test]
fn an_import_that_goes_up_is_found() {
    // A planted circle: the status words using the flows on top.
    let planted = [
        ("sw", "use crate::card::reader::CardReader;"),
        ("reader", "use crate::card::sw::StatusWord;"),
    ];
    assert_eq!(upward(&planted), [("sw".to_string(), "reader".to_string())]);
    // Tests are left out: they may use anything.
    let tests_only =
        [("sw", "fn a() {}\n#[cfg(test)]\nuse crate::card::reader::X;"), ("reader", "")];
    assert!(upward(&tests_only).is_empty());
}
