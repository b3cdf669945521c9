//! Bulk point lookups in a compact format (`POST /api/v1/locate` with `Content-Type: text/csv`
//! and `Accept: text/csv`): one `lon,lat` per line in, one `grid_code,village_code,township_code`
//! per line out, in order. Read and written straight from and to bytes, without a tree of values
//! in between (pure: no I/O).

/// Why a CSV body was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BulkError {
    /// More points than one request may hold.
    #[error("too many points: more than {max} in one request")]
    TooMany {
        /// The most accepted.
        max: usize,
    },
    /// A line is not `lon,lat`.
    #[error("line {line}: {reason}")]
    Line {
        /// The line's number, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// The media type of both formats.
pub const CSV: &str = "text/csv; charset=utf-8";

/// The points of a CSV body: one `lon,lat` per line (CGCS2000 degrees; `\n` or `\r\n`; an
/// optional header line `lon,lat`; a last line may end without a newline). At most `max` points.
/// Numbers are checked for form here; the index refuses ones out of range, naming the point.
pub fn parse_csv(body: &[u8], max: usize) -> Result<Vec<(f64, f64)>, BulkError> {
    let mut points = Vec::with_capacity((body.len() / 20).min(max));
    let mut lines = body.split(|&b| b == b'\n').enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let number = i + 1;
        if line.is_empty() && lines.peek().is_none() {
            break; // the newline ending the last line
        }
        if i == 0 && line.eq_ignore_ascii_case(b"lon,lat") {
            continue;
        }
        if points.len() == max {
            return Err(BulkError::TooMany { max });
        }
        points.push(pair(line).ok_or_else(|| BulkError::Line {
            line: number,
            reason: format!("expected lon,lat (two numbers), got {:?}", String::from_utf8_lossy(&line[..line.len().min(60)])),
        })?);
    }
    Ok(points)
}

fn pair(line: &[u8]) -> Option<(f64, f64)> {
    let comma = line.iter().position(|&b| b == b',')?;
    let number = |b: &[u8]| std::str::from_utf8(b).ok()?.trim().parse::<f64>().ok();
    Some((number(&line[..comma])?, number(&line[comma + 1..])?))
}

/// One point's answer: its grid, village and township codes, or none.
pub type Codes<'a> = Option<(&'a str, &'a str, &'a str)>;

/// Appends one answer line: `grid,village,township`, or `,,` for none. The codes are digits,
/// so nothing needs quoting.
pub fn write_line(out: &mut Vec<u8>, codes: Codes<'_>) {
    if let Some((grid, village, township)) = codes {
        out.extend_from_slice(grid.as_bytes());
        out.push(b',');
        out.extend_from_slice(village.as_bytes());
        out.push(b',');
        out.extend_from_slice(township.as_bytes());
        out.push(b'\n');
    } else {
        out.extend_from_slice(b",,\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_header_and_line_endings() {
        let body = b"lon,lat\r\n115.5,40.3\r\n115.6, 40.4\n115.7,40.5";
        assert_eq!(parse_csv(body, 10), Ok(vec![(115.5, 40.3), (115.6, 40.4), (115.7, 40.5)]));
        assert_eq!(parse_csv(b"115.5,40.3\n", 10), Ok(vec![(115.5, 40.3)]));
        assert_eq!(parse_csv(b"", 10), Ok(vec![]));
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = parse_csv(b"115.5,40.3\n\n115.6,40.4\n", 10).unwrap_err();
        assert!(matches!(err, BulkError::Line { line: 2, .. }), "{err}");
        assert!(matches!(parse_csv(b"115.5;40.3\n", 10), Err(BulkError::Line { line: 1, .. })));
        assert!(matches!(parse_csv(b"115.5,north\n", 10), Err(BulkError::Line { line: 1, .. })));
        assert!(matches!(parse_csv(b"1,2,3\n", 10), Err(BulkError::Line { line: 1, .. })));
        assert!(matches!(parse_csv(b"lon,lat\nlon,lat\n", 10), Err(BulkError::Line { line: 2, .. })));
    }

    #[test]
    fn at_most_max_points() {
        assert_eq!(parse_csv(b"1,2\n3,4\n", 2).map(|p| p.len()), Ok(2));
        assert_eq!(parse_csv(b"1,2\n3,4\n5,6\n", 2), Err(BulkError::TooMany { max: 2 }));
    }

    #[test]
    fn answer_lines() {
        let mut out = Vec::new();
        write_line(&mut out, Some(("130730100001001", "130730100001", "130730100")));
        write_line(&mut out, None);
        assert_eq!(out, b"130730100001001,130730100001,130730100\n,,\n");
    }
}
