//! Spreadsheets, as county offices hold the registry today: templates (XLSX and CSV, Chinese
//! column headers from the field lists), imports read by maintained parsers (calamine for
//! XLSX, csv for CSV) within size, count and time budgets and checked row by row — every
//! problem reported with its row, column and reason, and nothing stored unless every row is
//! good — and exports of any filtered list (personal fields masked) as a `Sheet`, which
//! import again into another deployment with their ids.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use std::borrow::Cow;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde::Serialize;
use wangge_core::registry::Entity;

use super::{Desk, Refused};
pub use crate::formats::sheet::{SheetFormat, XLSX_TYPE};
use crate::formats::sheet::{column, Cell, Column as SheetColumn, Kind, Sheet};
use crate::records::{time_text, RegistryRecord};

/// Largest spreadsheet accepted, in bytes.
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// Most rows in one import (a township's people fit).
pub const MAX_ROWS: usize = 200_000;
/// Most columns.
pub const MAX_COLUMNS: usize = 64;
/// Largest uncompressed XLSX (all its parts), against zip bombs.
pub const MAX_UNPACKED: u64 = 400 * 1024 * 1024;
/// Most parts in an XLSX archive.
pub const MAX_PARTS: usize = 2_000;
/// Longest an import may take to read and check.
pub const TIME_BUDGET: Duration = Duration::from_secs(300);
/// Most row problems reported (the rest are counted).
pub const MAX_PROBLEMS: usize = 1_000;

/// One cell's problem.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CellProblem {
    /// The spreadsheet row (1 is the header).
    pub row: usize,
    /// The column's header (or letter), if one cell is at fault.
    pub column: Option<String>,
    /// Why.
    pub reason: String,
}

/// Why a spreadsheet was not read.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// Over a budget or unreadable; nothing was stored.
    #[error("{0}")]
    Unreadable(String),
    /// Rows with problems; nothing was stored.
    #[error("{} problem(s) in the spreadsheet; nothing was imported", .total)]
    Rows {
        /// The first [`MAX_PROBLEMS`].
        problems: Vec<CellProblem>,
        /// How many in all.
        total: usize,
    },
    /// Writing a workbook failed.
    #[error("cannot write the workbook: {0}")]
    Write(String),
    /// The registry refused something else (the store).
    #[error(transparent)]
    Registry(#[from] Refused),
}

impl From<XlsxError> for SheetError {
    fn from(e: XlsxError) -> Self {
        Self::Write(e.to_string())
    }
}

/// The header cells of `entity`'s template: the fields' Chinese labels, required ones marked.
pub fn headers(entity: Entity) -> Vec<String> {
    entity.fields().iter().map(|f| if f.required { format!("{}*", f.zh) } else { f.zh.to_owned() }).collect()
}

/// The template of `entity`: the header row, and for XLSX a second sheet with the fields'
/// keys, rules and code lists.
pub fn template(entity: Entity, format: SheetFormat) -> Result<Vec<u8>, SheetError> {
    match format {
        SheetFormat::Csv => {
            let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            w.write_record(headers(entity)).map_err(|e| SheetError::Write(e.to_string()))?;
            w.into_inner().map_err(|e| SheetError::Write(e.to_string()))
        }
        SheetFormat::Xlsx => {
            let mut book = Workbook::new();
            let bold = Format::new().set_bold();
            let sheet = book.add_worksheet().set_name(entity.zh())?;
            for (c, h) in headers(entity).iter().enumerate() {
                let col = u16::try_from(c).unwrap_or(u16::MAX);
                sheet.write_string_with_format(0, col, h, &bold)?;
                sheet.set_column_width(col, 16)?;
            }
            let notes = book.add_worksheet().set_name("填写说明")?;
            for (c, h) in ["列名", "字段", "必填", "说明"].iter().enumerate() {
                notes.write_string_with_format(0, u16::try_from(c).unwrap_or(0), *h, &bold)?;
            }
            for (r, f) in entity.fields().iter().enumerate() {
                let row = u32::try_from(r + 1).unwrap_or(u32::MAX);
                notes.write_string(row, 0, f.zh)?;
                notes.write_string(row, 1, f.key)?;
                notes.write_string(row, 2, if f.required { "是" } else { "" })?;
                notes.write_string(row, 3, rule(f))?;
            }
            Ok(book.save_to_buffer()?)
        }
    }
}

/// What a field takes, in words for the template.
fn rule(f: &wangge_core::registry::Field) -> String {
    use wangge_core::registry::FieldType as T;
    let only = if f.only.is_empty() { String::new() } else { format!("（仅{}）", f.only.join("、")) };
    let what = match f.ty {
        T::Text(n) => format!("文字，不超过{n}字"),
        T::Date => "日期，如2024-05-01".into(),
        T::Code(list) => format!("填代码或名称：{}", list.iter().map(|c| format!("{} {}", c.code, c.zh)).collect::<Vec<_>>().join("；")),
        T::IdNumber => "18位公民身份号码（校验位、出生日期和性别须一致）".into(),
        T::Phone => "手机号或带区号的固定电话".into(),
        T::CreditCode => "18位统一社会信用代码".into(),
        T::Number(a, b) => format!("数字，{a}至{b}"),
        T::Village => "12位村（社区）代码".into(),
        T::Ref(e) => format!("已登记的{}编号（{}开头）", e.zh(), e.id_prefix()),
    };
    format!("{what}{only}")
}

/// Rows of a spreadsheet: the header and the cells as text.
pub fn read(bytes: &[u8], format: SheetFormat) -> Result<(Vec<String>, Vec<Vec<String>>), SheetError> {
    if bytes.len() > MAX_BYTES {
        return Err(SheetError::Unreadable(format!("the file has {} bytes; at most {MAX_BYTES}", bytes.len())));
    }
    let mut rows = match format {
        SheetFormat::Csv => read_csv(bytes)?,
        SheetFormat::Xlsx => read_xlsx(bytes)?,
    };
    if rows.is_empty() {
        return Err(SheetError::Unreadable("the spreadsheet is empty: the first row must be the header".into()));
    }
    if rows.len() > MAX_ROWS + 1 {
        return Err(SheetError::Unreadable(format!("{} rows; at most {MAX_ROWS} in one import: split the file", rows.len() - 1)));
    }
    let header = rows.remove(0);
    if header.len() > MAX_COLUMNS {
        return Err(SheetError::Unreadable(format!("{} columns; at most {MAX_COLUMNS}", header.len())));
    }
    Ok((header, rows))
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| SheetError::Unreadable(format!("row {}: not CSV in UTF-8 ({e})", i + 1)))?;
        if record.len() > MAX_COLUMNS {
            return Err(SheetError::Unreadable(format!("row {}: {} columns; at most {MAX_COLUMNS}", i + 1, record.len())));
        }
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(rows)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    // The archive's parts and their unpacked sizes are checked before the reader unpacks them.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| SheetError::Unreadable(format!("not an XLSX file: {e}")))?;
    if archive.len() > MAX_PARTS {
        return Err(SheetError::Unreadable(format!("the XLSX file has {} parts; at most {MAX_PARTS}", archive.len())));
    }
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(|e| SheetError::Unreadable(format!("a part of the XLSX file cannot be read: {e}")))?;
        unpacked = unpacked.saturating_add(part.size());
    }
    if unpacked > MAX_UNPACKED {
        return Err(SheetError::Unreadable(format!("the XLSX file unpacks to {unpacked} bytes; at most {MAX_UNPACKED}")));
    }
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| SheetError::Unreadable(format!("not a readable XLSX workbook: {e}")))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| SheetError::Unreadable("the workbook has no worksheet".into()))?
        .map_err(|e| SheetError::Unreadable(format!("the first worksheet cannot be read: {e}")))?;
    if range.width() > MAX_COLUMNS {
        return Err(SheetError::Unreadable(format!("{} columns; at most {MAX_COLUMNS}", range.width())));
    }
    Ok(range.rows().take(MAX_ROWS + 2).map(|row| row.iter().map(cell_text).collect()).collect())
}

/// A cell as the text a form would hold: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        #[allow(clippy::cast_possible_truncation)]
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
    }
}

/// An Excel serial day as a date (the 1900 system: day 1 is 1900-01-01, with its leap-year slip).
fn excel_date(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    #[allow(clippy::cast_possible_truncation)]
    let days = serial.floor() as i64;
    base.checked_add_signed(chrono::Duration::days(days)).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// What a column of an imported sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    /// A field of the kind (its key).
    Field(&'static str),
    /// The record's id (`编号`, as exported): kept, so that references between records hold
    /// when a deployment's export is imported into another.
    RecordId,
    /// A column the service derives (an export's township, grid and times): not read.
    Derived,
    /// No header: not read.
    Blank,
}

/// What each column holds (a header is a key, a label, a label with `*`, or a column an
/// export adds).
fn columns(entity: Entity, header: &[String]) -> Result<Vec<Column>, Vec<CellProblem>> {
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    let columns: Vec<Column> = header
        .iter()
        .map(|h| {
            let h = h.trim().trim_end_matches('*');
            let column = match (entity.field(h), EXTRA.iter().find(|c| c.key == h || c.header == h)) {
                _ if h.is_empty() => return Column::Blank,
                (Some(f), _) => Column::Field(f.key),
                (None, Some(c)) if c.key == "id" => Column::RecordId,
                (None, Some(_)) => Column::Derived,
                (None, None) => {
                    problems.push(CellProblem { row: 1, column: Some(h.to_owned()), reason: format!("no such column in the {} template", entity.zh()) });
                    return Column::Blank;
                }
            };
            if seen.insert(column_name(column, h), ()).is_some() {
                problems.push(CellProblem { row: 1, column: Some(h.to_owned()), reason: "this column appears twice".into() });
            }
            column
        })
        .collect();
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

/// The name a column is counted under for duplicates.
fn column_name(column: Column, header: &str) -> String {
    match column {
        Column::Field(key) => key.to_owned(),
        Column::RecordId => "id".to_owned(),
        Column::Derived | Column::Blank => header.to_owned(),
    }
}

/// Whether `id` can be the id of a record of `entity`: its kind's prefix, then letters and
/// digits (64 characters at most).
fn record_id_ok(entity: Entity, id: &str) -> bool {
    id.starts_with(entity.id_prefix()) && (2..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Imports `rows` of `entity` (read by [`read`]): every row checked and built as a record
/// (`checked` counts them for the progress shown to the user), then all stored in one
/// transaction — or nothing, with every problem.
pub async fn import(
    desk: &Desk<'_>,
    entity: Entity,
    header: &[String],
    rows: &[Vec<String>],
    checked: &AtomicUsize,
) -> Result<usize, SheetError> {
    let columns = columns(entity, header).map_err(|problems| SheetError::Rows { total: problems.len(), problems })?;
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut total = 0;
    let mut records: Vec<RegistryRecord> = Vec::with_capacity(rows.len());
    let mut hashes: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        if started.elapsed() > TIME_BUDGET {
            return Err(SheetError::Unreadable(format!("checking took over {} s at row {line}; split the file", TIME_BUDGET.as_secs())));
        }
        checked.store(i + 1, Ordering::Relaxed);
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let input: BTreeMap<String, String> = columns
            .iter()
            .zip(row)
            .filter_map(|(c, v)| match c {
                Column::Field(k) => Some(((*k).to_owned(), v.clone())),
                _ => None,
            })
            .collect();
        let given = columns.iter().zip(row).find(|(c, _)| **c == Column::RecordId).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let id = match given {
            None => super::new_id(entity.id_prefix())?,
            Some(id) => match given_id(desk, entity, id, line, &mut ids).await? {
                Ok(id) => id,
                Err(reason) => {
                    // Reported, and the row's fields still checked (under an id of its own).
                    total += 1;
                    push(&mut problems, line, Some(EXTRA[0].header.to_string()), reason);
                    super::new_id(entity.id_prefix())?
                }
            },
        };
        match desk.build(entity, id, &input, None).await {
            Ok(r) => {
                if let Some(first) = r.id_hash.as_ref().and_then(|h| hashes.insert(h.clone(), line)) {
                    total += 1;
                    push(&mut problems, line, Some(label(entity, "id_number")), format!("the same ID number as row {first}"));
                }
                records.push(r);
            }
            Err(Refused::Fields(fields)) => {
                for p in fields {
                    total += 1;
                    let masked = row_is_masked(entity, &input, &p.field);
                    let reason = if masked { format!("{} (an export masks personal data: fill in the full value)", p.reason) } else { p.reason };
                    push(&mut problems, line, Some(label(entity, &p.field)), reason);
                }
            }
            Err(Refused::IdNumberTaken) => {
                total += 1;
                push(&mut problems, line, Some(label(entity, "id_number")), "a person with this ID number is already registered".into());
            }
            Err(other) => return Err(other.into()),
        }
    }
    if total > 0 {
        return Err(SheetError::Rows { problems, total });
    }
    desk.store.insert_records(&records).await.map_err(|e| SheetError::Registry(super::taken(e)))?;
    if records.len() >= 10_000 {
        desk.store.analyze_registry().await.map_err(|e| SheetError::Registry(Refused::Store(e)))?;
    }
    Ok(records.len())
}

/// The id a row gives (an exported record's `编号`), or why it cannot be used: not of this
/// kind, twice in the file, or already a record here (importing it again would register the
/// same thing twice).
async fn given_id(
    desk: &Desk<'_>,
    entity: Entity,
    id: &str,
    line: usize,
    seen: &mut BTreeMap<String, usize>,
) -> Result<Result<String, String>, SheetError> {
    if !record_id_ok(entity, id) {
        return Ok(Err(format!("{id:?} is not the id of a {} (it starts with {})", entity.zh(), entity.id_prefix())));
    }
    if let Some(first) = seen.insert(id.to_owned(), line) {
        return Ok(Err(format!("the same id as row {first}")));
    }
    if desk.store.record(id).await.map_err(|e| SheetError::Registry(Refused::Store(e)))?.is_some() {
        return Ok(Err(format!("record {id} is already registered here; clear the id to register the row as a new record")));
    }
    Ok(Ok(id.to_owned()))
}

/// Whether the value of `field` in a row looks masked as exports show it (`*` in it).
fn row_is_masked(entity: Entity, input: &BTreeMap<String, String>, field: &str) -> bool {
    entity.field(field).is_some_and(|f| f.secret) && input.get(field).is_some_and(|v| v.contains('*'))
}

fn label(entity: Entity, key: &str) -> String {
    entity.field(key).map_or_else(|| key.to_owned(), |f| f.zh.to_owned())
}

fn push(problems: &mut Vec<CellProblem>, row: usize, column: Option<String>, reason: String) {
    if problems.len() < MAX_PROBLEMS {
        problems.push(CellProblem { row, column, reason });
    }
}

/// Most records in one export (the office exports' bound).
pub const MAX_EXPORT: u32 = crate::formats::sheet::MAX_ROWS as u32;

/// Columns of an export after the template's: the record's id, grid and times.
const EXTRA: [SheetColumn; 5] = [
    column("id", "编号", Kind::Text),
    column("township_code", "乡镇代码", Kind::Text),
    column("grid_code", "网格编码", Kind::Text),
    column("verified_at", "最近核实时间", Kind::Time),
    column("updated_at", "更新时间", Kind::Time),
];

/// The columns of an export of `entity`: the template's (each field's label), then [`EXTRA`].
pub fn export_columns(entity: Entity) -> Vec<SheetColumn> {
    use wangge_core::registry::FieldType as T;
    let fields = entity.fields().iter().map(|f| {
        let kind = match f.ty {
            T::Date => Kind::Date,
            T::Number(..) => Kind::Decimal,
            _ => Kind::Text,
        };
        SheetColumn { key: Cow::Borrowed(f.key), header: Cow::Borrowed(f.zh), kind }
    });
    fields.chain(EXTRA).collect()
}

/// The sheet of `records` (their personal fields masked): the template's columns, then the
/// id, township, grid and times.
pub fn export(entity: Entity, records: &[RegistryRecord]) -> Sheet {
    let columns = export_columns(entity);
    let mut sheet = Sheet::new(entity.zh(), columns.clone());
    for rec in records {
        let row = columns
            .iter()
            .map(|c| {
                let text = match c.key.as_ref() {
                    "id" => Some(rec.record_id.clone()),
                    "township_code" => Some(rec.township_code.clone()),
                    "grid_code" => rec.grid_code.clone(),
                    "verified_at" => Some(time_text(rec.verified_at)),
                    "updated_at" => Some(time_text(rec.updated_at)),
                    key => value(rec, key),
                };
                text.map_or(Cell::Empty, |t| Cell::from_json(&serde_json::Value::String(t), c.kind))
            })
            .collect();
        sheet.push(row);
    }
    sheet
}

/// `records` as a spreadsheet file of `format` (the console's export): [`export`], written.
pub fn export_as(entity: Entity, records: &[RegistryRecord], format: SheetFormat) -> Result<Vec<u8>, SheetError> {
    let to = match format {
        SheetFormat::Xlsx => crate::formats::sheet::SheetFormat::Xlsx,
        SheetFormat::Csv => crate::formats::sheet::SheetFormat::Csv,
    };
    export(entity, records).write(to).map_err(|e| SheetError::Write(e.to_string()))
}

/// A field's value as exported (masked when personal).
fn value(r: &RegistryRecord, key: &str) -> Option<String> {
    match key {
        "village_code" => Some(r.village_code.clone()),
        "lon" => r.point.map(|p| p.lon.to_string()),
        "lat" => r.point.map(|p| p.lat.to_string()),
        "house_id" => r.house_id.clone(),
        "household_id" => r.household_id.clone(),
        _ => r.fields.get(key).or_else(|| r.masked.get(key)).cloned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Write;

    use super::*;

    fn zip_of(parts: usize, each: usize) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for i in 0..parts {
            w.start_file(format!("xl/p{i}.xml"), options).unwrap();
            w.write_all(&vec![b'a'; each]).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn archives_over_the_budgets_are_refused_before_unpacking() {
        let many = zip_of(MAX_PARTS + 1, 1);
        let e = read(&many, SheetFormat::Xlsx).unwrap_err();
        assert!(e.to_string().contains("parts"), "{e}");
        // 41 parts of 10 MB of one letter: a few hundred kB packed, over 400 MB unpacked.
        let bomb = zip_of(41, 10 * 1024 * 1024);
        assert!(bomb.len() < 2_000_000, "{}", bomb.len());
        let e = read(&bomb, SheetFormat::Xlsx).unwrap_err();
        assert!(e.to_string().contains("unpacks to"), "{e}");
        assert!(read(b"not a zip", SheetFormat::Xlsx).unwrap_err().to_string().contains("not an XLSX"));
    }

    #[test]
    fn csv_and_cells_read_as_a_form_would_hold_them() {
        let (header, rows) = read("\u{feff}姓名,出生日期\n甲,1990-03-07\n".as_bytes(), SheetFormat::Csv).unwrap();
        assert_eq!((header, rows), (vec!["姓名".to_owned(), "出生日期".to_owned()], vec![vec!["甲".to_owned(), "1990-03-07".to_owned()]]));
        assert_eq!(cell_text(&Data::Float(13_800_000_001.0)), "13800000001");
        assert_eq!(excel_date(32_939.0), "1990-03-07");
        let wide = format!("{}\n", vec!["x"; MAX_COLUMNS + 1].join(","));
        assert!(read(wide.as_bytes(), SheetFormat::Csv).is_err());
        assert!(read(b"", SheetFormat::Csv).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn an_exports_columns_import_with_the_ids_kept_and_the_derived_ones_ignored() {
        let header: Vec<String> = ["场所类别*", "名称", "编号", "网格编码", "", "更新时间"].iter().map(|h| (*h).to_owned()).collect();
        let read = columns(Entity::Place, &header).unwrap();
        assert_eq!(read, vec![Column::Field("type"), Column::Field("name"), Column::RecordId, Column::Derived, Column::Blank, Column::Derived]);
        let twice: Vec<String> = ["编号", "id"].iter().map(|h| (*h).to_owned()).collect();
        assert_eq!(columns(Entity::Place, &twice).unwrap_err()[0].reason, "this column appears twice");
        assert!(columns(Entity::Place, &["户号".to_owned()]).is_err(), "a household's column is not a place's");
        assert!(record_id_ok(Entity::Place, "L0123abcd") && !record_id_ok(Entity::Place, "H0123") && !record_id_ok(Entity::Place, "L-1"));
    }

    #[test]
    fn templates_hold_the_field_lists() {
        let csv = template(Entity::Person, SheetFormat::Csv).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert!(text.starts_with("\u{feff}人口类别*,姓名*,公民身份号码"), "{text}");
        let xlsx = template(Entity::House, SheetFormat::Xlsx).unwrap();
        let (header, _) = read(&xlsx, SheetFormat::Xlsx).unwrap();
        assert_eq!(header, headers(Entity::House));
    }
}
