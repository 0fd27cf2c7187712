//! Tests of the privacy filter (`pii.rs`).

use super::*;

/// Text as BERT's WordPiece decoder writes it (the real tokenizer's output for each
/// item, lowercased and with punctuation apart).
#[test]
fn items_with_punctuation_written_apart_are_found_when_the_decoder_spaces_it() {
    let masked = |text: &str| {
        let mut t = text.to_string();
        let whole = Margins {
            spaced_punctuation: true,
            ..Margins::default()
        };
        mask_parts_within(&whole, &mut [&mut t], NOT_HIGHLIGHTED);
        t
    };
    for (text, want) in [
        (
            "tel : + 32 ( 0 ) 2 790 75 75 , info @ eun. org .",
            "tel : [PHONE] , [EMAIL] .",
        ),
        (
            "mail margaret. hale @ milton - mills. co. uk now",
            "mail [EMAIL] now",
        ),
        (
            "from 192. 168. 14. 201 and 2001 : db8 : : 1 on",
            "from [IP] and [IP] on",
        ),
        (
            "call 555 - 014 - 7788 or ( 555 ) 014 9911",
            "call [PHONE] or [PHONE]",
        ),
        ("j _ thornton + orders @ example. com", "[EMAIL]"),
    ] {
        assert_eq!(masked(text), want, "{text}");
    }
    // Look-alikes stay as they are.
    for text in [
        "python 3. 11. 4 and version 2. 0. 1",
        "the years 1999 - 2004 , on 2024 - 01 - 15 at 12 : 30 : 45",
        "a ratio of 3. 5 : 1 ; user @ localhost",
    ] {
        assert_eq!(masked(text), text);
    }
    // Without the flag the spaced text is read as it is.
    let mut t = "info @ eun. org".to_string();
    assert!(mask_parts_within(&Margins::default(), &mut [&mut t], NOT_HIGHLIGHTED).is_empty());
}

#[test]
fn items_cut_by_a_window_edge_are_found_through_the_margins() {
    let margins = Margins {
        before: "write to jane".into(),
        after: "867-5309 today".into(),
        spaced_punctuation: false,
    };
    let mut before = ".doe@example.org today, or ops@ex".to_string();
    let mut matched = "ample.net".to_string();
    let mut after = " or call 555-".to_string();
    let parts = &mut [&mut before, &mut matched, &mut after];
    let found = mask_parts_within(&margins, parts, NOT_HIGHLIGHTED);
    assert_eq!(before, "[EMAIL] today, or [EMAIL]");
    assert_eq!(matched, "");
    assert_eq!(after, " or call [PHONE]");
    assert_eq!(found.len(), 3);
    // The same window as a snippet: the item the match lies in is shown as the match.
    let mut before = ".doe@example.org today, or ops@ex".to_string();
    let mut matched = "ample.net".to_string();
    let mut after = " or call 555-".to_string();
    let parts = &mut [&mut before, &mut matched, &mut after];
    assert_eq!(mask_parts_within(&margins, parts, SNIPPET_MATCH).len(), 3);
    assert_eq!(before, "[EMAIL] today, or ");
    assert_eq!(matched, "[EMAIL]");
    assert_eq!(after, " or call [PHONE]");
    let mut cut = "call 555-".to_string();
    let m = Margins {
        before: String::new(),
        after: "867-5309".into(),
        spaced_punctuation: false,
    };
    assert_eq!(
        filter_parts_within(&m, &mut [&mut cut], NOT_HIGHLIGHTED, PiiMode::Drop),
        None
    );
    let mut clean = "nothing here".to_string();
    let m = Margins {
        before: "mail jane@example.com ".into(),
        after: " 10.0.0.1".into(),
        spaced_punctuation: false,
    };
    assert!(
        mask_parts_within(&m, &mut [&mut clean], NOT_HIGHLIGHTED).is_empty(),
        "items wholly outside the window are not the window's"
    );
}

fn kinds(text: &str) -> Vec<(PiiKind, String)> {
    find(text)
        .into_iter()
        .map(|m| (m.kind, text[m.start..m.end].to_string()))
        .collect()
}

#[test]
fn finds_each_kind_in_common_formats() {
    for (text, kind, item) in [
        (
            "write to jane.doe+x@example.co.uk today",
            PiiKind::Email,
            "jane.doe+x@example.co.uk",
        ),
        (
            "call +1 (555) 014-2233 now",
            PiiKind::Phone,
            "+1 (555) 014-2233",
        ),
        ("call 555-014-2233.", PiiKind::Phone, "555-014-2233"),
        ("tel. +44 20 7946 0958", PiiKind::Phone, "+44 20 7946 0958"),
        ("ring 555-0142 after six", PiiKind::Phone, "555-0142"),
        ("host 192.168.10.254 down", PiiKind::Ip, "192.168.10.254"),
        (
            "v6 2001:db8:85a3::8a2e:370:7334 up",
            PiiKind::Ip,
            "2001:db8:85a3::8a2e:370:7334",
        ),
    ] {
        assert_eq!(kinds(text), vec![(kind, item.to_string())], "{text}");
    }
}

/// The phone pattern runs on into a number after a space; the phone before it is found
/// all the same (a review: `call 555-867-5309 1.2.3.4` showed the number).
#[test]
fn a_phone_number_followed_by_another_number_is_found() {
    for (text, phone) in [
        ("call 555-867-5309 1.2.3.4 today", "555-867-5309"),
        ("call +1 555-867-5309 1.2.3.4", "+1 555-867-5309"),
        ("call 555-867-5309 555-123-4567", "555-867-5309"),
        ("call 555.867.5309 555.123.4567", "555.867.5309"),
    ] {
        let found = kinds(text);
        assert_eq!(found[0], (PiiKind::Phone, phone.to_string()), "{text}");
    }
    assert_eq!(
        kinds("call 555-867-5309 1.2.3.4 today")[1],
        (PiiKind::Ip, "1.2.3.4".to_string())
    );
    // The number after a phone number cut back is searched too (a review: the second
    // of two phone numbers was shown).
    for text in [
        "call 555-867-5309 555-123-4567",
        "call 555.867.5309 555.123.4567",
    ] {
        let (masked, _) = mask(text);
        assert_eq!(masked, "call [PHONE] [PHONE]", "{text}");
    }
}

#[test]
fn leaves_look_alikes() {
    for text in [
        "Python 3.11.4 and version 2.0.1",
        "in 1999-2004 the rate was 3.5%",
        "std::vector<int> and a::b",
        "ISO 8601 date 2024-01-15 at 12:30:45",
        "999.1.1.1 is no address",
        "1.2.3.4.5 is a long version",
        "x@y is no address",
        "price 1,234,567 dollars",
        "years 2019 2020 2021 2022 in a row",
        "pages 12-34 and 1.2.3.4.5",
    ] {
        assert_eq!(kinds(text), vec![], "{text}");
    }
}

#[test]
fn known_false_positive_four_part_numbers() {
    // Documented in docs/pii.md: a four-part section or version number is an IPv4 shape.
    assert_eq!(
        kinds("section 4.2.1.3 says"),
        vec![(PiiKind::Ip, "4.2.1.3".to_string())]
    );
}

/// Overlapping items are masked as one stretch covering both: a phone number that runs
/// into an e-mail address leaves no part of the address shown.
#[test]
fn overlapping_items_are_masked_whole() {
    let text = "Call +1 555 867 5309.jane.doe@example.com today";
    let (masked, found) = mask(text);
    assert_eq!(masked, "Call [PHONE] today", "{found:?}");
    assert_eq!(found.len(), 1);
    assert_eq!(
        &text[found[0].start..found[0].end],
        "+1 555 867 5309.jane.doe@example.com"
    );
}

#[test]
fn masks_and_marks_the_kind() {
    let (m, found) = mask("mail a@b.org or 10.0.0.1");
    assert_eq!(m, "mail [EMAIL] or [IP]");
    assert_eq!(found.len(), 2);
    let (mut a, mut b, mut c) = (
        "x jane@exa".to_string(),
        "mple.com".to_string(),
        " y".to_string(),
    );
    let f = mask_parts(&mut [&mut a, &mut b, &mut c]);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (a.as_str(), b.as_str(), c.as_str()),
        ("x [EMAIL]", "", " y")
    );
}

#[test]
fn a_highlighted_part_inside_an_item_shows_its_marker() {
    let cases: [(&[&str], Highlighted<'_>, &[&str]); 4] = [
        // A match wholly inside an address that starts before it.
        (
            &["from 192.", "168.", "1.1 please"],
            SNIPPET_MATCH,
            &["from ", "[IP]", " please"],
        ),
        // A match that starts the item: where it starts anyway.
        (
            &["x ", "jane@", "example.com y"],
            SNIPPET_MATCH,
            &["x ", "[EMAIL]", " y"],
        ),
        // Marked runs of a document: the first marked run the item reaches.
        (
            &["a 10.", "0", ".", "0", ".1 b"],
            &[false, false, false, true, false],
            &["a ", "", "", "[IP]", " b"],
        ),
        // An empty match strictly inside an item still gets the marker.
        (
            &["call 555-", "", "867-5309 now"],
            SNIPPET_MATCH,
            &["call ", "[PHONE]", " now"],
        ),
    ];
    for (parts, highlighted, want) in cases {
        let mut owned: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        let mut refs: Vec<&mut String> = owned.iter_mut().collect();
        assert_eq!(
            mask_parts_within(&Margins::default(), &mut refs, highlighted).len(),
            1
        );
        assert_eq!(owned, want.to_vec(), "{parts:?}");
    }
}
