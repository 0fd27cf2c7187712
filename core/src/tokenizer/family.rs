//! The model family of a tokenizer file, for people: a known file by its sha256
//! (`OLMo (GPT-NeoX)`), otherwise its shape (`byte-level BPE, 50,257 ids`).

/// Tokenizer files people trace against, by sha256, with their model family.
const KNOWN_FAMILIES: &[(&str, &str)] = &[
    (
        "9ad33b4b39a9f83973c3f8c42a01948dd5b877a28ac9a5356956c4ff4ed0b714",
        "OLMo (GPT-NeoX)",
    ),
    (
        "a73a055627f30e6a530741d6dd925a75c90b616f098e3734501cd4ca0aae7315",
        "GPT-2",
    ),
    (
        "fc4f0bd70b3709312d9d1d9e5ba674794b6bc5abc17429897a540f93882f25fc",
        "Llama 2",
    ),
    (
        "3ca996cca8afea58b34e95c353e859333592642a5e51d695d7a6dbbaf692dfe9",
        "OLMo 2 (Dolma 2, cl100k)",
    ),
    (
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        "BERT (uncased WordPiece)",
    ),
];

/// The model family of a tokenizer file for people: a known file by its sha256, otherwise
/// its shape (`byte-level BPE, 50,257 ids`).
pub(super) fn family_of(sha256: &str, json: Option<&serde_json::Value>, vocab: u32) -> String {
    if let Some((_, name)) = KNOWN_FAMILIES.iter().find(|(h, _)| *h == sha256) {
        return (*name).to_string();
    }
    let model = json
        .and_then(|j| j["model"]["type"].as_str())
        .unwrap_or("unknown model");
    let byte_level = json.is_some_and(|j| {
        let text = j["pre_tokenizer"].to_string() + &j["decoder"].to_string();
        text.contains("\"ByteLevel\"")
    });
    let mut digits = vocab.to_string();
    let mut i = digits.len();
    while i > 3 {
        i -= 3;
        digits.insert(i, ',');
    }
    format!(
        "{}{model}, {digits} ids",
        if byte_level { "byte-level " } else { "" }
    )
}
