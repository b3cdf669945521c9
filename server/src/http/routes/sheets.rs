//! Lists as spreadsheets at the edge: `?format=xlsx|csv` (or an `Accept` naming one of them)
//! on a list asks for the whole filtered list as a file — the same permission, filters and
//! jurisdiction as the JSON list, personal data masked alike — at most
//! [`MAX_ROWS`](crate::formats::sheet::MAX_ROWS) rows (a longer list is refused: narrow it),
//! written off the async threads, answered as an attachment with a Chinese file name, never
//! cached, and audited with its row count. Offices export with `export_data` besides the
//! list's own permission; the special-group officers' list and the assessors' league tables
//! need only theirs. See docs/exports.md.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use wangge_core::access::Permission;
use wangge_core::calendar::china_time;

use super::no_store;
use crate::access::{AuditNote, Caller};
use crate::formats::sheet::{Sheet, SheetError, SheetFormat, MAX_ROWS};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Characters kept as they are in an RFC 8187 value (`attr-char`); the rest are encoded.
const ATTR: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// What a list is answered as: `None` for JSON, else the spreadsheet asked for by `format`
/// (`json`, `xlsx` or `csv`), or by the `Accept` header when there is no `format`.
pub(in crate::http) fn wanted(format: Option<&str>, headers: &HeaderMap) -> Result<Option<SheetFormat>, ApiError> {
    match format {
        Some("json") => Ok(None),
        Some(text) => SheetFormat::parse(text).map(Some).ok_or_else(|| {
            ApiError::BadRequest(format!("format must be json, xlsx or csv, got {text:?}"))
        }),
        None => Ok(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).and_then(accepted)),
    }
}

/// The spreadsheet an `Accept` header prefers to JSON, if any (its `q` weighed; wildcards
/// do not choose a spreadsheet).
fn accepted(accept: &str) -> Option<SheetFormat> {
    let mut best: Option<(Option<SheetFormat>, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let choice = match media.as_str() {
            "application/json" => None,
            "text/csv" => Some(SheetFormat::Csv),
            m if m == SheetFormat::Xlsx.media_type() => Some(SheetFormat::Xlsx),
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
            best = Some((choice, q));
        }
    }
    best.and_then(|(choice, _)| choice)
}

/// An office's export: the caller must hold `export_data`.
pub(in crate::http) fn allowed(caller: &Caller) -> Result<(), ApiError> {
    caller.require(Permission::ExportData)?;
    Ok(())
}

/// Refuses a list of more than [`MAX_ROWS`] rows.
pub(in crate::http) fn bounded(rows: u64) -> Result<(), ApiError> {
    if rows > MAX_ROWS as u64 {
        return Err(ApiError::Unprocessable(format!(
            "the export would hold {rows} rows; at most {MAX_ROWS} in one file: narrow the list (a shorter period, a township or village)"
        )));
    }
    Ok(())
}

/// The row count to fetch for an export whose list holds `total`: all of them, once
/// [`bounded`].
pub(in crate::http) fn whole(total: i64) -> Result<u32, ApiError> {
    let total = u64::try_from(total).unwrap_or(0);
    bounded(total)?;
    Ok(u32::try_from(total.max(1)).unwrap_or(u32::MAX))
}

/// A file's names: an ASCII one for old clients and the Chinese one (`事件列表`).
#[derive(Debug, Clone, Copy)]
pub(in crate::http) struct Name {
    /// ASCII stem (`events`).
    pub ascii: &'static str,
    /// Chinese stem (`事件列表`).
    pub zh: &'static str,
}

/// The sheet `build` makes (off the async threads, with the writing) in `format`, as an
/// attachment named after `name` and today (China time), audited as an export of `object`.
pub(in crate::http) async fn file<F>(state: &AppState, format: SheetFormat, name: Name, object: &str, build: F) -> Result<Response, ApiError>
where
    F: FnOnce() -> Sheet + Send + 'static,
{
    let (rows, bytes) = tokio::task::spawn_blocking(move || {
        let sheet = build();
        sheet.write(format).map(|bytes| (sheet.len(), bytes))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the export task failed: {e}")))?
    .map_err(|e| match e {
        too_many @ SheetError::TooManyRows { .. } => ApiError::Unprocessable(too_many.to_string()),
        other => ApiError::Internal(crate::logging::error_chain(&other)),
    })?;
    let day = state.clock.now().with_timezone(&china_time()).format("%Y%m%d");
    let ext = format.as_str();
    let disposition = disposition(&format!("{}-{day}.{ext}", name.ascii), &format!("{}-{day}.{ext}", name.zh));
    let mut response = ([(header::CONTENT_TYPE, format.media_type())], bytes).into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept"));
    let note = AuditNote::success(Permission::ExportData.as_str(), object).with_detail(format!("{ext}: {rows} rows, masked as listed"));
    Ok(note.on(no_store(response)))
}

/// `Content-Disposition` of an attachment: the ASCII name, and the UTF-8 one (RFC 6266, 8187).
fn disposition(ascii: &str, utf8: &str) -> String {
    let plain: String = ascii.chars().filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\').collect();
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{}", utf8_percent_encode(utf8, ATTR))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")));
        h
    }

    #[test]
    fn the_format_parameter_wins_and_accept_chooses_otherwise() {
        let none = HeaderMap::new();
        assert_eq!(wanted(None, &none).ok(), Some(None));
        assert_eq!(wanted(Some("json"), &accept("text/csv")).ok(), Some(None));
        assert_eq!(wanted(Some("csv"), &none).ok(), Some(Some(SheetFormat::Csv)));
        assert_eq!(wanted(Some("xlsx"), &none).ok(), Some(Some(SheetFormat::Xlsx)));
        let bad = wanted(Some("xls"), &none).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(bad.contains("json, xlsx or csv"), "{bad}");
        assert_eq!(wanted(None, &accept("text/csv")).ok(), Some(Some(SheetFormat::Csv)));
        assert_eq!(wanted(None, &accept(XLSX)).ok(), Some(Some(SheetFormat::Xlsx)));
        // A browser's or a client's usual header keeps JSON.
        assert_eq!(wanted(None, &accept("text/html,application/xhtml+xml,*/*;q=0.8")).ok(), Some(None));
        assert_eq!(wanted(None, &accept("application/json, text/csv")).ok(), Some(None));
        assert_eq!(wanted(None, &accept("application/json;q=0.5, text/csv")).ok(), Some(Some(SheetFormat::Csv)));
        assert_eq!(wanted(None, &accept("text/csv;q=0")).ok(), Some(None));
    }

    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    #[test]
    fn file_names_are_sent_both_ways() {
        assert_eq!(
            disposition("events-20250303.csv", "事件列表-20250303.csv"),
            "attachment; filename=\"events-20250303.csv\"; filename*=UTF-8''%E4%BA%8B%E4%BB%B6%E5%88%97%E8%A1%A8-20250303.csv"
        );
    }

    #[test]
    fn exports_are_bounded() {
        assert!(bounded(MAX_ROWS as u64).is_ok());
        assert!(bounded(MAX_ROWS as u64 + 1).is_err());
        assert_eq!(whole(0).ok(), Some(1));
        assert_eq!(whole(42).ok(), Some(42));
    }
}
