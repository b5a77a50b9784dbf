//! "Did you mean …?" for misspelt keys, ids and kinds.

/// The candidate closest to `word` if it is close enough to be a likely misspelling: at most a third of
/// its characters (and at least one) edited, transposed or of another case.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            let d = if c.to_lowercase() == lower {
                0
            } else {
                strsim::damerau_levenshtein(word, c)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `; did you mean `x`?` when a candidate is close, else nothing. Close is a likely misspelling
/// ([`closest`]) or, failing that, an id the word begins, up to a `-` or `_` (`huawei` for
/// `huawei-cloud`; both `alibaba-cloud` and `alibaba-qwen` for `alibaba`).
pub fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(c) = closest(word, candidates.iter().copied()) {
        return format!("; did you mean `{c}`?");
    }
    let lower = word.to_lowercase();
    let mut extended: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|c| {
            let c = c.to_lowercase();
            !lower.is_empty()
                && c.len() > lower.len()
                && c.starts_with(&lower)
                && matches!(c.as_bytes()[lower.len()], b'-' | b'_')
        })
        .collect();
    extended.sort_unstable();
    extended.dedup();
    match extended.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        some => format!(
            "; did you mean one of {}?",
            some.iter()
                .take(4)
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Adds a suggestion to serde's "unknown field `x`, expected one of `a`, `b`" and "unknown variant …"
/// messages.
pub fn serde_message(message: &str) -> String {
    for prefix in ["unknown field `", "unknown variant `"] {
        let Some(rest) = message.strip_prefix(prefix) else {
            continue;
        };
        let Some((word, rest)) = rest.split_once('`') else {
            continue;
        };
        let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        let hint = hint(word, expected);
        if !hint.is_empty() {
            return format!("{message}{hint}");
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(closest("betta", ["beta", "tau"]), Some("beta"));
        assert_eq!(closest("ke", ["KE", "KR"]), Some("KE"));
        assert_eq!(
            closest("frontir", ["frontier", "startup"]),
            Some("frontier")
        );
        assert_eq!(closest("xyz", ["beta", "tau"]), None);
        assert_eq!(closest("Atlantis", ["AE", "AU"]), None);
    }

    #[test]
    fn an_id_the_word_begins_is_suggested() {
        let ids = ["huawei-cloud", "alibaba-cloud", "alibaba-qwen", "aws"];
        assert_eq!(hint("huawei", ids), "; did you mean `huawei-cloud`?");
        assert_eq!(
            hint("alibaba", ids),
            "; did you mean one of `alibaba-cloud`, `alibaba-qwen`?"
        );
        assert_eq!(hint("hua", ["huawei-cloud"]), "");
        assert_eq!(hint("", ids), "");
    }

    #[test]
    fn serde_messages_get_a_suggestion() {
        let m = serde_message("unknown field `betta`, expected one of `beta`, `tau`");
        assert!(m.ends_with("; did you mean `beta`?"), "{m}");
        let m = serde_message("unknown variant `frontir`, expected one of `frontier`, `startup`");
        assert!(m.ends_with("did you mean `frontier`?"), "{m}");
        assert_eq!(serde_message("invalid type"), "invalid type");
    }
}
