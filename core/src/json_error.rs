//! Plain words for serde_json's least clear syntax error: an escaped UTF-16 surrogate without
//! its pair (`"\ud800"`), which JSON allows to be written but which is not a character.

/// Whether `e` is serde_json's report of an unpaired `\uD800`-`\uDFFF` escape.
///
/// serde_json calls any unpaired escape in that range a "lone leading surrogate", a trailing
/// one too, and a leading one followed by anything but a `\u` escape an "unexpected end of hex
/// escape" (its only use).
pub fn is_unpaired_surrogate(e: &serde_json::Error) -> bool {
    let message = e.to_string();
    e.is_syntax()
        && (message.contains("lone leading surrogate in hex escape")
            || message.contains("unexpected end of hex escape"))
}

/// What is wrong with an unpaired surrogate escape, for a message that names where it is.
pub const UNPAIRED_SURROGATE: &str = "is an unpaired UTF-16 surrogate (\\uD800-\\uDFFF outside a \
                                      high-low pair), which is not a character";

#[cfg(test)]
mod tests {
    use super::*;

    /// Both of serde_json's wordings are recognised, and a paired escape or another syntax
    /// error is not taken for one.
    #[test]
    fn unpaired_escapes_are_recognised() {
        for text in [
            r#""\ud800""#,
            r#""\udc00""#,
            r#""\ud800x""#,
            r#""\ud800\u0041""#,
        ] {
            let e = serde_json::from_str::<String>(text).unwrap_err();
            assert!(is_unpaired_surrogate(&e), "{text}: {e}");
        }
        assert!(serde_json::from_str::<String>(r#""\ud83d\ude00""#).is_ok());
        let e = serde_json::from_str::<String>(r#""\u12""#).unwrap_err();
        assert!(!is_unpaired_surrogate(&e), "{e}");
    }
}
