//! Masking of personal data (个人信息去标识化) for lists, APIs and logs: the full value only
//! through an explicit, audited reveal.

/// A phone number with all but its first 3 and last 4 digits hidden (`139****4321`); spaces
/// and dashes are dropped; anything shorter than 8 characters is hidden entirely.
///
/// ```
/// assert_eq!(wangge_core::access::mask_phone("139 1234 4321"), "139****4321");
/// ```
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    if digits.len() < 8 {
        return "****".into();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A name with only its first character shown (`张三丰` → `张**`).
///
/// ```
/// assert_eq!(wangge_core::access::mask_name("张三丰"), "张**");
/// ```
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// An identity-document or account number: an 18-character resident ID (or anything of 15
/// characters or more) keeps its first 3 and last 4, shorter ones their first and last 2;
/// under 6 characters everything is hidden. The length is kept.
///
/// ```
/// assert_eq!(wangge_core::access::mask_id_number("13073019900307123X"), "130***********123X");
/// ```
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        15.. => (3, 4),
        6..=14 => (1, 2),
        _ => (0, 0),
    };
    chars[..head].iter().chain(std::iter::repeat_n(&'*', n - head - tail)).chain(&chars[n - tail..]).collect()
}

/// Free text with the mainland mobile numbers (11 digits, `1[3-9]…`, also written 3-4-4
/// with spaces or dashes) and 18-character resident ID numbers in it masked; other numbers
/// (grid codes, event ids, dates) are left alone.
///
/// ```
/// use wangge_core::access::mask_text;
/// assert_eq!(mask_text("请回电13912344321，网格130730100001001"), "请回电139****4321，网格130730100001001");
/// ```
pub fn mask_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_token = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        if chars[i].is_ascii_digit() && starts_token {
            let (len, masked) = personal_number_at(&chars[i..]);
            match masked {
                Some(m) => out.push_str(&m),
                None => out.extend(&chars[i..i + len]),
            }
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The number starting `s` (its length in characters) and its masked form if it is a
/// personal one.
fn personal_number_at(s: &[char]) -> (usize, Option<String>) {
    let run = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let ends_token = |len: usize| s.get(len).is_none_or(|c| !c.is_ascii_alphanumeric());
    if run == 3 {
        if let Some(len) = grouped_mobile(s) {
            let digits: String = s[..len].iter().filter(|c| c.is_ascii_digit()).collect();
            return (len, Some(mask_phone(&digits)));
        }
    }
    if run == 11 && is_mobile(&s[..11]) && ends_token(11) {
        let digits: String = s[..11].iter().collect();
        return (11, Some(mask_phone(&digits)));
    }
    let id_shaped = run == 18 || (run == 17 && matches!(s.get(17), Some('X' | 'x')));
    if id_shaped && ends_token(18) {
        let id: String = s[..18].iter().collect();
        return (18, Some(mask_id_number(&id)));
    }
    (run, None)
}

fn is_mobile(digits: &[char]) -> bool {
    digits.len() == 11 && digits[0] == '1' && ('3'..='9').contains(&digits[1])
}

/// `1xx-xxxx-xxxx` or `1xx xxxx xxxx` (one separator kind): its length in characters.
fn grouped_mobile(s: &[char]) -> Option<usize> {
    let sep = *s.get(3)?;
    if sep != '-' && sep != ' ' {
        return None;
    }
    let shape = [3, 4, 4];
    let mut at = 0;
    let mut digits = Vec::with_capacity(11);
    for (k, width) in shape.iter().enumerate() {
        if k > 0 {
            (s.get(at) == Some(&sep)).then_some(())?;
            at += 1;
        }
        let group = s.get(at..at + width)?;
        group.iter().all(char::is_ascii_digit).then_some(())?;
        digits.extend_from_slice(group);
        at += width;
    }
    let ends = s.get(at).is_none_or(|c| !c.is_ascii_alphanumeric());
    (ends && is_mobile(&digits)).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(mask_phone("13912344321"), "139****4321");
        assert_eq!(mask_phone("139-1234-4321"), "139****4321");
        assert_eq!(mask_phone("0313-1234567"), "031****4567");
        assert_eq!(mask_phone("1234567"), "****");
        assert_eq!(mask_phone(""), "****");
    }

    #[test]
    fn names() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李");
        assert_eq!(mask_name(" 王芳 "), "王*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn id_numbers() {
        assert_eq!(mask_id_number("130730199003071234"), "130***********1234");
        assert_eq!(mask_id_number("13073019900307123x"), "130***********123x");
        assert_eq!(mask_id_number("G12345678"), "G******78");
        assert_eq!(mask_id_number("12345"), "*****");
        assert_eq!(mask_id_number(""), "");
        for id in ["130730199003071234", "G12345678", "AB", "护照E1234567"] {
            assert_eq!(mask_id_number(id).chars().count(), id.chars().count());
        }
    }

    #[test]
    fn text_masks_phones_and_ids_only() {
        assert_eq!(mask_text("电话13812345678"), "电话138****5678");
        assert_eq!(mask_text("电话 138-1234-5678 或 138 1234 5679。"), "电话 138****5678 或 138****5679。");
        assert_eq!(mask_text("身份证13073019900307123X住址"), "身份证130***********123X住址");
        assert_eq!(mask_text("ID 130730199003071234."), "ID 130***********1234.");
        for keep in [
            "网格130730100001001",
            "村130730100001",
            "事件20230105-0042",
            "12345678901",
            "23812345678",
            "138123456789",
            "a13812345678",
            "138-1234-56789",
            "138-1234 5678",
            "日期2023-01-05",
        ] {
            assert_eq!(mask_text(keep), keep);
        }
    }
}
