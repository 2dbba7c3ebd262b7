//! Generated input for the property tests of every layer (issue #11): text as
//! a village doctor's keyboard, a pasted spreadsheet or another system makes
//! it, and values of any JSON shape. Used by `vhr-app`'s tests and, through
//! `#[path]`, by the desktop shell's command-layer tests.

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{json, Value};

/// A fixed seed, and `cases` unless `VHR_PROPTEST_CASES` asks for more.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("VHR_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases);
    Config { cases, rng_seed: RngSeed::Fixed(20261202), failure_persistence: None, ..Config::default() }
}

/// Text as a village doctor's keyboard, a pasted spreadsheet or another system makes it.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[０-９０１２３４５６７８９年月日/.-]{0,12}",
        "[一二三四五六七八九十〇零壹贰年月日不详去前今]{0,10}",
        "[0-9]{0,20}",
        "[0-9不详年月日X]{0,9}",
        "[\\x00-\\x1f\\x7f\u{200b}\u{feff}]{0,6}[0-9a-zA-Z]{0,10}",
        "[😀-🙏👨‍👩‍👧🀄]{0,6}",
        "[张李王刘陈杨赵黄周吴·]{0,6}",
        ".{0,4}".prop_map(|s| s.repeat(1000)),
    ]
}

/// A form value of any shape: what a hand-edited file or a platform may hold.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<i64>().prop_map(|i| json!(i)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (prop_oneof![Just("code".to_string()), Just("date".to_string()), Just("text".to_string()), text()], inner),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}
