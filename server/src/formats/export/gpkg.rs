//! GeoPackage (OGC 12-128r18) of polygon features in EPSG:4490: one feature table with its
//! `gpkg_spatial_ref_sys`, `gpkg_contents` and `gpkg_geometry_columns` rows, geometries as
//! GeoPackage binary ([`crate::formats::gpkg`]).

use std::path::Path;
use std::sync::Arc;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use crate::formats::gpkg::write_geometry;
use crate::formats::feature::{Field, FieldKind, FieldValue, OgcFeature, EPSG_4490_WKT};

/// The SRS id of EPSG:4490 in the package.
pub const SRS_ID: i32 = 4490;

/// `GPKG` as the SQLite application id.
const APPLICATION_ID: i32 = 0x4750_4B47;
/// GeoPackage 1.2 as the SQLite user version.
const USER_VERSION: i32 = 10_200;

/// Why a GeoPackage could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the GeoPackage {what}")]
pub struct GpkgError {
    /// The step that failed.
    what: &'static str,
    /// SQLite's error.
    #[source]
    source: sqlx::Error,
}

/// Writes a new GeoPackage at `path` with the table `table` (a plain identifier) holding
/// `features` with `fields`; both `'static`, so the SQL built from them holds no input.
pub async fn write(path: &Path, table: &'static str, fields: &'static [Field], features: &[OgcFeature]) -> Result<(), GpkgError> {
    let step = |what| move |source| GpkgError { what, source };
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(step("file"))?;
    let mut tx = conn.begin().await.map_err(step("transaction"))?;
    for statement in schema(table, fields) {
        // Built from our constants only: the collection's table and field names are `'static`.
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await.map_err(step("schema"))?;
    }
    sqlx::query("INSERT INTO gpkg_spatial_ref_sys VALUES ('China Geodetic Coordinate System 2000', ?, 'EPSG', 4490, ?, 'CGCS2000')")
        .bind(SRS_ID)
        .bind(EPSG_4490_WKT)
        .execute(&mut *tx)
        .await
        .map_err(step("spatial reference"))?;
    let bbox = crate::formats::feature::extent(features).unwrap_or_default();
    sqlx::query("INSERT INTO gpkg_contents VALUES (?, 'features', ?, '', strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?, ?, ?, ?, ?)")
        .bind(table)
        .bind(table)
        .bind(bbox[0])
        .bind(bbox[1])
        .bind(bbox[2])
        .bind(bbox[3])
        .bind(SRS_ID)
        .execute(&mut *tx)
        .await
        .map_err(step("contents"))?;
    sqlx::query("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON', ?, 0, 0)")
        .bind(table)
        .bind(SRS_ID)
        .execute(&mut *tx)
        .await
        .map_err(step("geometry column"))?;
    let insert: Arc<str> = insert_statement(table, fields).into();
    for f in features {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(Arc::clone(&insert))).bind(write_geometry(SRS_ID, &f.geometry));
        for v in &f.values {
            query = match v {
                FieldValue::Text(t) => query.bind(t.clone()),
                FieldValue::Real(r) => query.bind(*r),
            };
        }
        query.execute(&mut *tx).await.map_err(step("features"))?;
    }
    tx.commit().await.map_err(step("commit"))?;
    conn.close().await.map_err(step("file"))
}

/// The statements making the metadata tables and the feature table (names are ours, not input).
fn schema(table: &str, fields: &[Field]) -> Vec<String> {
    let columns: String = fields
        .iter()
        .map(|f| format!(", \"{}\" {}", f.name, if f.kind == FieldKind::Real { "REAL" } else { "TEXT" }))
        .collect();
    vec![
        format!("PRAGMA application_id = {APPLICATION_ID}"),
        format!("PRAGMA user_version = {USER_VERSION}"),
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)".into(),
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'), ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'), ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],AUTHORITY[\"EPSG\",\"4326\"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')".into(),
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))".into(),
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))".into(),
        format!("CREATE TABLE \"{table}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON{columns})"),
    ]
}

fn insert_statement(table: &str, fields: &[Field]) -> String {
    let names: String = fields.iter().map(|f| format!(", \"{}\"", f.name)).collect();
    let marks = ", ?".repeat(fields.len());
    format!("INSERT INTO \"{table}\" (geom{names}) VALUES (?{marks})")
}
