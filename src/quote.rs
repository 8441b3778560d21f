//! Caller text quoted in problems: a key in a path, a value in a message.
//! Cut to a bound, so no problem grows with the body; on the ground floor,
//! since the parser, the field checks and the report all quote.

/// The longest piece of caller text a problem quotes, in characters;
/// longer text is cut, ending in `…`.
pub(crate) const QUOTED_CHARS: usize = 256;

/// Appends `text`, cut to [`QUOTED_CHARS`] characters. Looks at no more
/// than that many, however long the text.
pub(crate) fn push_cut(out: &mut String, text: &str) {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => out.push_str(text),
        Some(_) => {
            let cut = text.char_indices().nth(QUOTED_CHARS - 1).map_or(text.len(), |(at, _)| at);
            out.push_str(&text[..cut]);
            out.push('…');
        }
    }
}

/// `` `text` `` for a message, cut as paths are.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * QUOTED_CHARS) + 2);
    out.push('`');
    push_cut(&mut out, text);
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_quoted_whole_up_to_the_bound_and_cut_past_it() {
        let at_limit = "é".repeat(QUOTED_CHARS);
        assert_eq!(quoted(&at_limit), format!("`{at_limit}`"));
        let past = "é".repeat(QUOTED_CHARS + 1);
        assert_eq!(quoted(&past), format!("`{}…`", "é".repeat(QUOTED_CHARS - 1)));
        assert_eq!(quoted(""), "``");
    }
}
