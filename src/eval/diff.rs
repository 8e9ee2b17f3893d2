//! A word diff of two drafts (similar's Myers diff over words), as pieces a terminal or a page
//! marks up.

use similar::{Algorithm, ChangeTag};

/// One run of text: in both drafts, only in the old one, or only in the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

pub fn word_diff<'a>(old: &'a str, new: &'a str) -> Vec<Piece<'a>> {
    similar::utils::diff_words(Algorithm::Myers, old, new)
        .into_iter()
        .map(|(tag, text)| match tag {
            ChangeTag::Equal => Piece::Same(text),
            ChangeTag::Delete => Piece::Removed(text),
            ChangeTag::Insert => Piece::Added(text),
        })
        .collect()
}

/// The old side (same and removed pieces) and the new side (same and added pieces): unchanged
/// text through `plain`, changes through `mark(text, added)`.
pub fn sides(
    pieces: &[Piece<'_>],
    plain: impl Fn(&str) -> String,
    mark: impl Fn(&str, bool) -> String,
) -> (String, String) {
    let (mut old, mut new) = (String::new(), String::new());
    for piece in pieces {
        match *piece {
            Piece::Same(t) => {
                let t = plain(t);
                old.push_str(&t);
                new.push_str(&t);
            }
            Piece::Removed(t) => old.push_str(&mark(t, false)),
            Piece::Added(t) => new.push_str(&mark(t, true)),
        }
    }
    (old, new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_on_their_side() {
        let pieces = word_diff("Hi Dana, shall we talk", "Hi Dana, can we talk");
        let (old, new) = sides(&pieces, str::to_string, |t, added| {
            if added {
                format!("{{+{t}+}}")
            } else {
                format!("[-{t}-]")
            }
        });
        assert_eq!(old, "Hi Dana, [-shall-] we talk");
        assert_eq!(new, "Hi Dana, {+can+} we talk");
    }
}
