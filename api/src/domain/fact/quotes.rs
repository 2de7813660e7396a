//! Verifying that a quote is verbatim in a source's snapshot.
//!
//! Editors paste quotes from browsers and word processors, which swap straight quotes for
//! curly ones, hyphens for dashes and collapse or add white space. Both sides are normalized
//! the same way before searching, and the match is mapped back to character offsets in the
//! original snapshot so a reader can find the exact passage.

/// Where a verified quote sits in the snapshot, in Unicode scalar values (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteLocation {
    pub start: usize,
    pub end: usize,
}

fn normalize_char(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => '-',
        c if c.is_whitespace() => ' ',
        c => c,
    }
}

/// Normalized text plus, for each normalized char, the index of the original char it came from.
fn normalize_with_positions(text: &str) -> (Vec<char>, Vec<usize>) {
    let mut chars = Vec::with_capacity(text.len());
    let mut positions = Vec::with_capacity(text.len());
    let mut previous_was_space = true; // also trims leading white space
    for (index, original) in text.chars().enumerate() {
        let c = normalize_char(original);
        if c == ' ' {
            if previous_was_space {
                continue;
            }
            previous_was_space = true;
        } else {
            previous_was_space = false;
        }
        chars.push(c);
        positions.push(index);
    }
    if chars.last() == Some(&' ') {
        chars.pop();
        positions.pop();
    }
    (chars, positions)
}

/// Normalizes white space, quote marks and dashes as quote verification does.
pub fn normalize_quote(text: &str) -> String {
    normalize_with_positions(text).0.into_iter().collect()
}

/// Finds `quote` in `snapshot` after normalizing both; `None` when it is not there verbatim.
pub fn verify_quote(snapshot: &str, quote: &str) -> Option<QuoteLocation> {
    let (needle, _) = normalize_with_positions(quote);
    if needle.is_empty() {
        return None;
    }
    let (haystack, positions) = normalize_with_positions(snapshot);
    let start = haystack.windows(needle.len()).position(|window| window == needle.as_slice())?;
    let last = start + needle.len() - 1;
    Some(QuoteLocation { start: positions[start], end: positions[last] + 1 })
}

/// The digest that makes a quote unique per fact and source: two renderings of the same words
/// (curly or straight quotes, dashes, white space) are the same quote.
pub fn quote_digest(quote: &str) -> String {
    crate::domain::sha256_hex(&normalize_quote(quote))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = "Moscow supports Syria\u{2019}s unity,   sovereignty,\nand territorial integrity \u{2013} said \u{201C}the Kremlin\u{201D}.";

    #[test]
    fn finds_quote_despite_curly_quotes_dashes_and_white_space() {
        let quote = "Syria's unity, sovereignty, and territorial integrity - said \"the Kremlin\"";
        let location = verify_quote(SNAPSHOT, quote).expect("quote is in the snapshot");
        let original: String = SNAPSHOT.chars().skip(location.start).take(location.end - location.start).collect();
        assert!(original.starts_with("Syria\u{2019}s unity"));
        assert!(original.ends_with("Kremlin\u{201D}"));
    }

    #[test]
    fn refuses_altered_or_empty_quotes() {
        assert_eq!(verify_quote(SNAPSHOT, "Moscow opposes Syria's unity"), None);
        assert_eq!(verify_quote(SNAPSHOT, "   "), None);
    }
}
