//! GeoPackages: an SQLite file written by someone else, so nothing in it may run. It is opened
//! read-only and immutable with `trusted_schema` off and no memory mapping; only real tables
//! are read (never a view, virtual table or generated column, whose SQL the uploader wrote),
//! with the table's own triggers refused but the spatial index's; only the needed columns are
//! read, with quoted identifiers, row by row against the [`Budget`].

use futures_util::TryStreamExt;
use geo::MultiPolygon;
use serde_json::{json, Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Connection, Row, SqliteConnection, ValueRef};
use wangge_core::coord::Crs;
use wangge_core::wire::draft::GridFeature;

use super::{choose, feature, from_epsg, unreadable, Budget, ImportError, MAX_FEATURES, PROPERTY_NAMES};

const FORMAT: &str = "GeoPackage";

fn bad(reason: String) -> ImportError {
    unreadable(FORMAT)(reason)
}

/// Reads the GeoPackage on a runtime of its own (sqlx is async); blocks this thread.
pub(super) fn read_blocking(bytes: &[u8], asked: Option<Crs>, budget: &mut Budget) -> Result<(Vec<GridFeature>, Crs), ImportError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ImportError::Task(format!("no runtime for the GeoPackage reader: {e}")))?;
    let dir = tempfile::TempDir::new().map_err(|e| ImportError::Task(format!("no temporary directory: {e}")))?;
    let path = dir.path().join("import.gpkg");
    std::fs::write(&path, bytes).map_err(|e| ImportError::Task(format!("cannot write the temporary file: {e}")))?;
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .read_only(true)
        .immutable(true)
        .pragma("trusted_schema", "OFF")
        .pragma("mmap_size", "0")
        .pragma("cell_size_check", "ON")
        .pragma("query_only", "ON");
    runtime.block_on(async {
        let mut conn = SqliteConnection::connect_with(&options).await.map_err(|e| bad(e.to_string()))?;
        let read = layer(&mut conn, asked, budget).await;
        // The file is read-only and goes with the directory: a failed close changes nothing.
        let _ = conn.close().await;
        read
    })
}

/// The first feature layer: its table, geometry column and coordinate system id.
#[derive(Debug, sqlx::FromRow)]
struct Layer {
    table_name: String,
    column_name: String,
    srs_id: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct SpatialRef {
    organization: String,
    organization_coordsys_id: i64,
}

async fn layer(conn: &mut SqliteConnection, asked: Option<Crs>, budget: &mut Budget) -> Result<(Vec<GridFeature>, Crs), ImportError> {
    for table in ["gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"] {
        real_table(conn, table).await?;
        utf8_schema(conn, table).await?;
    }
    let layer: Layer = sqlx::query_as(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
           JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
          WHERE c.data_type = 'features' ORDER BY c.table_name LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| bad(format!("no feature table: {e}")))?
    .ok_or_else(|| bad("no feature table in gpkg_contents".into()))?;
    let srs: SpatialRef =
        sqlx::query_as("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?")
            .bind(layer.srs_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| bad(format!("the layer's coordinate system {} is not described: {e}", layer.srs_id)))?;
    let file_crs = from_epsg(&format!("{}:{}", srs.organization.to_ascii_uppercase(), srs.organization_coordsys_id))?;
    let crs = choose(Some(file_crs), asked)?;
    real_table(conn, &layer.table_name).await?;
    utf8_schema(conn, &layer.table_name).await?;
    no_foreign_triggers(conn, &layer).await?;
    let columns = columns(conn, &layer).await?;
    let sql = format!(
        "SELECT {} FROM {} LIMIT {}",
        columns.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", "),
        quoted(&layer.table_name),
        MAX_FEATURES + 1
    );
    // The only SQL built from the file's text: identifiers, each quoted with `"` doubled and
    // free of NUL, naming a real table and its stored columns (checked above); no values.
    let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    let mut out = Vec::new();
    while let Some(row) = rows.try_next().await.map_err(|e| bad(format!("feature {}: {e}", out.len())))? {
        budget.feature()?;
        let (fields, shape) = read_row(&row, &columns).map_err(|e| bad(format!("feature {}: {e}", out.len())))?;
        budget.points(super::point_count(&shape))?;
        out.push(feature(&fields, &shape, crs));
    }
    Ok((out, crs))
}

/// Refuses a table whose declared column types are not UTF-8 text: the SQLite driver reads the
/// declared type of every column a query answers and cannot take other bytes (found by the
/// `import_gpkg` fuzz target). Read here as hex, which any bytes are.
async fn utf8_schema(conn: &mut SqliteConnection, table: &str) -> Result<(), ImportError> {
    let types: Vec<String> = sqlx::query_scalar("SELECT hex(type) FROM pragma_table_xinfo(?)")
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| bad(format!("the columns of {:?} cannot be read: {e}", table.chars().take(60).collect::<String>())))?;
    for hex in types {
        let bytes: Option<Vec<u8>> =
            (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect();
        if bytes.is_none_or(|b| String::from_utf8(b).is_err()) {
            return Err(bad(format!(
                "a column of {:?} declares a type that is not UTF-8 text",
                table.chars().take(60).collect::<String>()
            )));
        }
    }
    Ok(())
}

/// An SQL identifier, quoted.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Refuses a name that is not a real table of the file (a view, a virtual table, or missing),
/// as SQLite itself parsed the schema (`pragma_table_list`), not as `sqlite_master` claims.
async fn real_table(conn: &mut SqliteConnection, name: &str) -> Result<(), ImportError> {
    if name.contains('\0') {
        return Err(bad("a table name holds a NUL character".into()));
    }
    let kind: Option<String> = sqlx::query_scalar("SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| bad(format!("the schema cannot be read: {e}")))?;
    let shown = name.chars().take(60).collect::<String>();
    match kind.as_deref() {
        Some("table") => Ok(()),
        Some(other) => Err(bad(format!("{shown:?} is a {other}, not a table; only tables are read"))),
        None => Err(bad(format!("no table {shown:?} in the file"))),
    }
}

/// Refuses triggers on the layer's table other than the GeoPackage spatial index's (and
/// GDAL's feature count's): they never run on a read, but a file that carries others is not a
/// plain export.
async fn no_foreign_triggers(conn: &mut SqliteConnection, layer: &Layer) -> Result<(), ImportError> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?")
        .bind(&layer.table_name)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| bad(format!("the schema cannot be read: {e}")))?;
    let (t, c) = (&layer.table_name, &layer.column_name);
    let rtree = format!("rtree_{t}_{c}_");
    let known = |n: &str| {
        n.strip_prefix(&rtree).is_some_and(|rest| matches!(rest, "insert" | "delete" | "update1" | "update2" | "update3" | "update4" | "update5" | "update6" | "update7"))
            || n == format!("trigger_insert_feature_count_{t}")
            || n == format!("trigger_delete_feature_count_{t}")
    };
    match names.iter().find(|n| !known(n)) {
        Some(n) => Err(bad(format!("the layer's table has a trigger {:?}; only the spatial index's are accepted", n.chars().take(60).collect::<String>()))),
        None => Ok(()),
    }
}

#[derive(Debug, sqlx::FromRow)]
struct Column {
    name: String,
    hidden: i64,
}

/// The geometry column, then the property columns the draft uses; each a stored column (a
/// generated one runs the uploader's expression).
async fn columns(conn: &mut SqliteConnection, layer: &Layer) -> Result<Vec<String>, ImportError> {
    let all: Vec<Column> = sqlx::query_as("SELECT name, hidden FROM pragma_table_xinfo(?)")
        .bind(&layer.table_name)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| bad(format!("the layer's columns cannot be read: {e}")))?;
    let wanted = |n: &str| n == layer.column_name || PROPERTY_NAMES.contains(&n);
    let mut out = Vec::new();
    for c in all.into_iter().filter(|c| wanted(&c.name)) {
        if c.hidden != 0 {
            return Err(bad(format!("column {:?} is generated or hidden; only stored columns are read", c.name)));
        }
        out.push(c.name);
    }
    match out.iter().position(|c| *c == layer.column_name) {
        Some(i) => out.swap(0, i),
        None => return Err(bad(format!("the layer has no geometry column {:?}", layer.column_name.chars().take(60).collect::<String>()))),
    }
    if out.iter().any(|c| c.contains('\0')) {
        return Err(bad("a column name holds a NUL character".into()));
    }
    Ok(out)
}

/// A row's properties and shape (the geometry is the first column).
fn read_row(row: &SqliteRow, columns: &[String]) -> Result<(Map<String, Value>, MultiPolygon<f64>), String> {
    let blob: Option<Vec<u8>> = row.try_get(0).map_err(|e| e.to_string())?;
    let shape = crate::formats::gpkg::read_geometry(&blob.ok_or("no geometry")?).map_err(|e| e.to_string())?;
    super::finite(&shape)?;
    let mut fields = Map::new();
    for (i, name) in columns.iter().enumerate().skip(1) {
        let null = row.try_get_raw(i).map(|v| v.is_null()).unwrap_or(true);
        let value = if null {
            Value::Null
        } else if let Ok(s) = row.try_get::<String, _>(i) {
            Value::String(s)
        } else if let Ok(n) = row.try_get::<i64, _>(i) {
            json!(n)
        } else if let Ok(x) = row.try_get::<f64, _>(i) {
            json!(x)
        } else {
            Value::Null
        };
        fields.insert(name.clone(), value);
    }
    Ok((fields, shape))
}
