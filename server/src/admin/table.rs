//! Plain-text tables for the console: columns padded to their widest cell (Chinese characters
//! count two columns, as terminals draw them).

use unicode_width::UnicodeWidthStr;

/// `header` and `rows` as lines of text, columns two spaces apart.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.width());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let padded: Vec<String> =
            cells.zip(&widths).map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.width())))).collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(&mut header.iter().copied())];
    out.push(line(&mut widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str)));
    out.extend(rows.iter().map(|r| line(&mut r.iter().map(String::as_str))));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_with_wide_characters() {
        let text = render(&["user", "name"], &[vec!["li".into(), "李四".into()], vec!["wangwu".into(), "w".into()]]);
        assert_eq!(text, "user    name\n------  ----\nli      李四\nwangwu  w");
    }
}
