//! A tiny XML writer for the Open311 answers: nested elements with escaped text, nothing more.

/// An XML document being written, declaration first.
#[derive(Debug, Clone)]
pub struct XmlWriter {
    out: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    /// An empty document with its UTF-8 declaration.
    pub fn new() -> Self {
        Self { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    /// Opens `<name>`. Names are the caller's constants, never input.
    pub fn open(&mut self, name: &str) -> &mut Self {
        debug_assert!(is_name(name), "bad element name {name:?}");
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Closes `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>text</name>` with the text escaped, or `<name/>` when there is none.
    pub fn element(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        match text {
            Some(text) => {
                self.open(name);
                escape_into(text, &mut self.out);
                self.close(name)
            }
            None => {
                debug_assert!(is_name(name), "bad element name {name:?}");
                self.out.push('<');
                self.out.push_str(name);
                self.out.push_str("/>");
                self
            }
        }
    }

    /// The finished document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// `text` as XML character data: `&`, `<`, `>`, `"` and `'` escaped, and characters XML 1.0
/// forbids (control characters other than tab, newline and carriage return) dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// An element name as this writer uses them: ASCII letters, digits and `_`, not leading digit.
fn is_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(escape("a<b & c>d \"e\" 'f'"), "a&lt;b &amp; c&gt;d &quot;e&quot; &apos;f&apos;");
        assert_eq!(escape("燃气\u{0}泄漏\u{1b}\n"), "燃气泄漏\n");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn writes_nested_elements_and_empty_ones() {
        let mut w = XmlWriter::new();
        w.open("errors").open("error").element("code", Some("400")).element("description", Some("<x>")).close("error");
        w.element("none", None).close("errors");
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors><error><code>400</code>\
             <description>&lt;x&gt;</description></error><none/></errors>"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(is_name("service_request_id"));
        assert!(!is_name("1a"));
        assert!(!is_name("a b"));
        assert!(!is_name(""));
    }
}
