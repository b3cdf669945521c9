//! Lists as spreadsheets: one [`Sheet`] — a title, columns with their Chinese headers and
//! kinds, rows of typed cells — written as an XLSX workbook (numbers as numbers, dates and
//! times as dates, column widths, a frozen header row and an autofilter; through
//! `rust_xlsxwriter`, one row in memory at a time) or as CSV (UTF-8 with a BOM so that Excel
//! reads the Chinese, RFC 4180 quoting through `csv`, and text that a spreadsheet would take
//! for a formula prefixed with an apostrophe). A row can be read straight from the JSON view
//! a list answers, so that an export shows exactly what the list shows, masked alike.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Workbook, XlsxError};
use serde_json::Value;

/// Most rows in one export; a longer list is refused (narrow it by period or area).
pub const MAX_ROWS: usize = 100_000;

/// XLSX's media type.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// CSV's media type as answered (UTF-8).
pub const CSV_TYPE: &str = "text/csv; charset=utf-8";

/// Excel's limit on the characters of one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// Rows looked at to size the columns.
const WIDTH_SAMPLE: usize = 1_000;

/// A spreadsheet format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    /// Office Open XML workbook.
    Xlsx,
    /// Comma-separated values, UTF-8 (a BOM written; one allowed when read).
    Csv,
}

impl SheetFormat {
    /// Every format, in the order they are offered.
    pub const ALL: [SheetFormat; 2] = [Self::Xlsx, Self::Csv];

    /// The wire name (`?format=`) and file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xlsx => "xlsx",
            Self::Csv => "csv",
        }
    }

    /// The media type of a file in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Xlsx => XLSX_TYPE,
            Self::Csv => CSV_TYPE,
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// A code list: (wire code, Chinese label).
pub type Codes = &'static [(&'static str, &'static str)];

/// What a column holds, which decides how its cells are typed and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text as it is (codes and ids stay text, leading zeros and all); a list is joined with `、`.
    Text,
    /// A whole number.
    Integer,
    /// A number with decimals, shown as it is.
    Decimal,
    /// A share (0.9735) shown as a percentage (97.35%).
    Percent,
    /// A date (`YYYY-MM-DD`).
    Date,
    /// An instant (RFC 3339), shown in China time.
    Time,
    /// Yes or no (是/否).
    Flag,
    /// A wire code shown by its Chinese label (the code itself when the list lacks it).
    Label(Codes),
}

/// One column: the key it reads in a JSON view (members joined by `.`), its Chinese header
/// and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The JSON key (`reporter.phone`).
    pub key: Cow<'static, str>,
    /// The Chinese header.
    pub header: Cow<'static, str>,
    /// What it holds.
    pub kind: Kind,
}

/// A column of a fixed table.
pub const fn column(key: &'static str, header: &'static str, kind: Kind) -> Column {
    Column { key: Cow::Borrowed(key), header: Cow::Borrowed(header), kind }
}

impl Column {
    /// A column made at run time (an indicator of the year's scheme, a registry field).
    pub fn owned(key: impl Into<String>, header: impl Into<String>, kind: Kind) -> Self {
        Self { key: Cow::Owned(key.into()), header: Cow::Owned(header.into()), kind }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text, never read as a formula.
    Text(String),
    /// A number.
    Number(f64),
    /// A date.
    Date(NaiveDate),
    /// A time of day on a date, in China time.
    Time(NaiveDateTime),
}

impl Cell {
    /// The cell `kind` makes of a JSON value.
    pub fn from_json(value: &Value, kind: Kind) -> Self {
        match (kind, value) {
            (_, Value::Null) => Self::Empty,
            (Kind::Integer | Kind::Decimal | Kind::Percent, Value::Number(n)) => n.as_f64().map_or(Self::Empty, Self::Number),
            (Kind::Integer | Kind::Decimal | Kind::Percent, Value::String(s)) => {
                s.trim().parse::<f64>().ok().filter(|x| x.is_finite()).map_or_else(|| Self::text(s), Self::Number)
            }
            (Kind::Date, Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or_else(|_| Self::text(s), Self::Date),
            (Kind::Time, Value::String(s)) => DateTime::parse_from_rfc3339(s).map_or_else(
                |_| Self::text(s),
                |t| Self::Time(t.with_timezone(&wangge_core::calendar::china_time()).naive_local()),
            ),
            (Kind::Label(codes), Value::String(s)) => Self::Text(label(codes, s).to_owned()),
            (Kind::Label(codes), Value::Array(items)) => {
                Self::joined(items.iter().map(|v| v.as_str().map_or_else(|| plain(v), |s| label(codes, s).to_owned())))
            }
            (_, other) => Self::text(&plain(other)),
        }
    }

    /// Text, or nothing for an empty string.
    pub fn text(s: &str) -> Self {
        if s.is_empty() {
            Self::Empty
        } else {
            Self::Text(s.to_owned())
        }
    }

    /// A number, or nothing.
    pub fn number(n: Option<f64>) -> Self {
        n.filter(|x| x.is_finite()).map_or(Self::Empty, Self::Number)
    }

    fn joined(parts: impl Iterator<Item = String>) -> Self {
        Self::text(&parts.filter(|p| !p.is_empty()).collect::<Vec<_>>().join("、"))
    }

    /// The cell as CSV text in a column of `kind`.
    pub fn csv_text(&self, kind: Kind) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) => guarded(s),
            Self::Number(n) if kind == Kind::Percent => format!("{:.2}%", n * 100.0),
            Self::Number(n) => number_text(*n),
            Self::Date(d) => d.format("%Y-%m-%d").to_string(),
            Self::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }

    /// Columns the cell would fill as text (a CJK character counts two).
    fn width(&self, kind: Kind) -> usize {
        match self {
            Self::Empty => 0,
            Self::Date(_) => 10,
            Self::Time(_) => 19,
            other => display_width(&other.csv_text(kind)),
        }
    }
}

/// The label of `code` in `codes`, or the code.
fn label(codes: Codes, code: &str) -> &str {
    codes.iter().find(|(c, _)| *c == code).map_or(code, |(_, l)| l)
}

/// A JSON value as plain text: strings as they are, yes/no in Chinese, lists joined with `、`.
fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items.iter().map(plain).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("、"),
        Value::Object(_) => value.to_string(),
    }
}

/// A number without a trailing `.0` when it is whole.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        #[allow(clippy::cast_possible_truncation)]
        let whole = n as i64;
        whole.to_string()
    } else {
        n.to_string()
    }
}

/// Text a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, or a tab or carriage
/// return before one) prefixed with an apostrophe, so that it is shown, never run.
pub fn guarded(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// Display width: two for a wide (CJK) character, one otherwise.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

/// Why a sheet was not written.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// More rows than one export holds.
    #[error("{rows} rows; at most {MAX_ROWS} in one export")]
    TooManyRows {
        /// How many.
        rows: usize,
    },
    /// The XLSX writer failed.
    #[error("cannot write the workbook")]
    Xlsx(#[source] XlsxError),
    /// The CSV writer failed.
    #[error("cannot write the CSV file: {0}")]
    Csv(String),
}

impl From<XlsxError> for SheetError {
    fn from(e: XlsxError) -> Self {
        Self::Xlsx(e)
    }
}

/// A table to export.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    title: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// An empty sheet named `title` (its worksheet's name) with `columns`.
    pub fn new(title: impl Into<String>, columns: Vec<Column>) -> Self {
        Self { title: title.into(), columns, rows: Vec::new() }
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The rows.
    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.rows
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds a row (cut or padded to the columns).
    pub fn push(&mut self, mut row: Vec<Cell>) {
        row.resize(self.columns.len(), Cell::Empty);
        self.rows.push(row);
    }

    /// Adds the row a JSON view makes: each column reads its key.
    pub fn push_json(&mut self, item: &Value) {
        let row = self.columns.iter().map(|c| lookup(item, &c.key).map_or(Cell::Empty, |v| Cell::from_json(v, c.kind))).collect();
        self.rows.push(row);
    }

    /// The sheet in `format`.
    pub fn write(&self, format: SheetFormat) -> Result<Vec<u8>, SheetError> {
        if self.rows.len() > MAX_ROWS {
            return Err(SheetError::TooManyRows { rows: self.rows.len() });
        }
        match format {
            SheetFormat::Xlsx => self.xlsx(),
            SheetFormat::Csv => self.csv(),
        }
    }

    /// The width of each column: its header or its widest cell among the first rows, within
    /// reason.
    fn widths(&self) -> Vec<f64> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let cells = self.rows.iter().take(WIDTH_SAMPLE).filter_map(|r| r.get(i)).map(|cell| cell.width(c.kind));
                let widest = cells.chain([display_width(&c.header) + 2]).max().unwrap_or(8);
                #[allow(clippy::cast_precision_loss)]
                let width = widest.clamp(8, 50) as f64 + 1.0;
                width
            })
            .collect()
    }

    fn xlsx(&self) -> Result<Vec<u8>, SheetError> {
        let mut book = Workbook::new();
        let header = Format::new().set_bold().set_background_color(Color::RGB(0x00DD_EBF7)).set_border_bottom(FormatBorder::Thin);
        let integer = Format::new().set_num_format("0");
        let decimal = Format::new();
        let percent = Format::new().set_num_format("0.00%");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let sheet = book.add_worksheet_with_low_memory()?;
        sheet.set_name(sheet_name(&self.title))?;
        for (c, width) in self.widths().into_iter().enumerate() {
            sheet.set_column_width(col(c), width)?;
        }
        for (c, column) in self.columns.iter().enumerate() {
            sheet.write_string_with_format(0, col(c), column.header.as_ref(), &header)?;
        }
        let last = u16::try_from(self.columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, u32::try_from(self.rows.len()).unwrap_or(u32::MAX), last)?;
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for ((c, cell), column) in row.iter().enumerate().zip(&self.columns) {
                let c = col(c);
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => {
                        sheet.write_string(r, c, cut(s))?;
                    }
                    Cell::Number(n) => {
                        let format = match column.kind {
                            Kind::Integer => &integer,
                            Kind::Percent => &percent,
                            _ => &decimal,
                        };
                        sheet.write_number_with_format(r, c, *n, format)?;
                    }
                    Cell::Date(d) => {
                        sheet.write_datetime_with_format(r, c, excel_date(*d)?, &date)?;
                    }
                    Cell::Time(t) => {
                        let at = excel_date(t.date())?.and_hms(u16::try_from(t.hour()).unwrap_or(0), minute(t.minute()), t.second())?;
                        sheet.write_datetime_with_format(r, c, at, &time)?;
                    }
                }
            }
        }
        Ok(book.save_to_buffer()?)
    }

    fn csv(&self) -> Result<Vec<u8>, SheetError> {
        let error = |e: csv::Error| SheetError::Csv(e.to_string());
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(b"\xEF\xBB\xBF".to_vec());
        w.write_record(self.columns.iter().map(|c| c.header.as_ref())).map_err(error)?;
        for row in &self.rows {
            w.write_record(row.iter().zip(&self.columns).map(|(cell, c)| cell.csv_text(c.kind))).map_err(error)?;
        }
        w.into_inner().map_err(|e| SheetError::Csv(e.to_string()))
    }
}

/// The value at `key` (members joined by `.`) of `item`.
fn lookup<'a>(item: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(item, |v, member| v.get(member))
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn minute(m: u32) -> u8 {
    u8::try_from(m).unwrap_or(0)
}

/// Text within Excel's limit for one cell.
fn cut(s: &str) -> &str {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(format!("year {}", d.year())))?;
    ExcelDateTime::from_ymd(year, minute(d.month()), minute(d.day()))
}

/// A worksheet name Excel takes: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let name: String = title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    let name = name.trim_matches('\'').to_owned();
    if name.is_empty() {
        "Sheet1".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};
    use serde_json::json;

    use super::*;

    const STATES: Codes = &[("closed", "已办结")];

    fn sample() -> Sheet {
        let columns = vec![
            column("id", "编号", Kind::Text),
            column("n", "数量", Kind::Integer),
            column("rate", "比率", Kind::Percent),
            column("day", "日期", Kind::Date),
            column("at", "时间", Kind::Time),
            column("state", "状态", Kind::Label(STATES)),
            column("who.phone", "电话", Kind::Text),
            column("open", "进行中", Kind::Flag),
            column("note", "备注", Kind::Text),
        ];
        let mut sheet = Sheet::new("事件[列表]", columns);
        sheet.push_json(&json!({"id": "130730100001001", "n": 3, "rate": 0.9735, "day": "2025-03-03", "at": "2025-03-03T01:00:00.000Z",
            "state": "closed", "who": {"phone": "138****5678"}, "open": false, "note": "=HYPERLINK(\"x\"), \"quoted\"\n两行"}));
        sheet.push_json(&json!({"id": "E2", "n": null, "state": "other", "note": "-1+1"}));
        sheet
    }

    #[test]
    fn json_views_make_typed_cells() {
        let s = sample();
        let first = &s.rows()[0];
        assert_eq!(first[0], Cell::Text("130730100001001".into()));
        assert_eq!(first[1], Cell::Number(3.0));
        assert_eq!(first[3], Cell::Date(NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()));
        // 01:00 UTC is 09:00 in China.
        assert_eq!(first[4], Cell::Time(NaiveDate::from_ymd_opt(2025, 3, 3).unwrap().and_hms_opt(9, 0, 0).unwrap()));
        assert_eq!((&first[5], &first[6], &first[7]), (&Cell::Text("已办结".into()), &Cell::Text("138****5678".into()), &Cell::Text("否".into())));
        assert_eq!((&s.rows()[1][1], &s.rows()[1][5]), (&Cell::Empty, &Cell::Text("other".into())));
    }

    #[test]
    fn csv_has_a_bom_quotes_and_no_formulas() {
        let bytes = sample().write(SheetFormat::Csv).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert!(text.starts_with("编号,数量,比率,日期,时间,状态,电话,进行中,备注\r\n"), "{text}");
        let mut reader = csv::Reader::from_reader(&bytes[3..]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].iter().take(8).collect::<Vec<_>>(), ["130730100001001", "3", "97.35%", "2025-03-03", "2025-03-03 09:00:00", "已办结", "138****5678", "否"]);
        assert_eq!(&rows[0][8], "'=HYPERLINK(\"x\"), \"quoted\"\n两行");
        assert_eq!((&rows[1][1], &rows[1][8]), ("", "'-1+1"));
        for risky in ["=1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(guarded(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(guarded("张三"), "张三");
    }

    #[test]
    fn xlsx_keeps_types_and_text_stays_text() {
        let bytes = sample().write(SheetFormat::Xlsx).unwrap();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["事件列表".to_owned()]);
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.get_size(), (3, 9));
        assert_eq!(range.get((0, 0)), Some(&Data::String("编号".into())));
        assert_eq!(range.get((1, 0)), Some(&Data::String("130730100001001".into())));
        assert_eq!(range.get((1, 1)), Some(&Data::Float(3.0)));
        assert_eq!(range.get((1, 2)), Some(&Data::Float(0.9735)));
        let Some(Data::DateTime(at)) = range.get((1, 4)) else { panic!("{:?}", range.get((1, 4))) };
        // Excel's serial days count from 1899-12-30; 09:00 is 0.375 of a day.
        let days = (NaiveDate::from_ymd_opt(2025, 3, 3).unwrap() - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
        #[allow(clippy::cast_precision_loss)]
        let serial = days as f64 + 0.375;
        assert!((at.as_f64() - serial).abs() < 1e-6, "{}", at.as_f64());
        assert!(matches!(range.get((1, 3)), Some(Data::DateTime(_))));
        // A formula's text is a string cell, never a formula.
        assert_eq!(range.get((1, 8)), Some(&Data::String("=HYPERLINK(\"x\"), \"quoted\"\n两行".into())));
        assert!(book.worksheet_formula("事件列表").unwrap().used_cells().next().is_none());
    }

    #[test]
    fn an_empty_list_still_has_its_headers_and_too_long_a_one_is_refused() {
        let mut s = Sheet::new("空", vec![column("a", "甲", Kind::Text)]);
        for format in SheetFormat::ALL {
            assert!(!s.write(format).unwrap().is_empty());
        }
        s.rows = vec![vec![Cell::Empty]; MAX_ROWS + 1];
        assert!(matches!(s.write(SheetFormat::Csv), Err(SheetError::TooManyRows { rows }) if rows == MAX_ROWS + 1));
    }

    #[test]
    fn names_and_widths_fit_excel() {
        assert_eq!(sheet_name("a/b:c*d?e[f]g\\h"), "abcdefgh");
        assert_eq!(sheet_name(&"长".repeat(40)).chars().count(), 31);
        assert_eq!(sheet_name("''"), "Sheet1");
        let widths = sample().widths();
        assert!(widths.iter().all(|w| (9.0..=51.0).contains(w)), "{widths:?}");
        assert_eq!(cut(&"x".repeat(40_000)).len(), MAX_CELL_CHARS);
    }
}
