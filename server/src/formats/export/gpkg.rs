//! GeoPackage (OGC 12-128r18) of polygon features in EPSG:4490: one feature table with its
//! `gpkg_spatial_ref_sys`, `gpkg_contents` and `gpkg_geometry_columns` rows, geometries as
//! GeoPackage binary (header + WKB).

use std::path::Path;
use std::sync::Arc;

use geo::BoundingRect;
use geo_types::MultiPolygon;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use crate::formats::wkb_write as wkb;
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

/// `multi` as a GeoPackage geometry blob: `GP`, version 0, little-endian with an XY envelope,
/// the SRS id, the envelope (min x, max x, min y, max y) and the WKB.
pub fn geometry_blob(srs_id: i32, multi: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = vec![b'G', b'P', 0];
    match multi.bounding_rect() {
        Some(b) => {
            out.push(0b0000_0011);
            out.extend_from_slice(&srs_id.to_le_bytes());
            for v in [b.min().x, b.max().x, b.min().y, b.max().y] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        // An empty geometry: no envelope, the empty flag set.
        None => {
            out.push(0b0001_0001);
            out.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    out.extend_from_slice(&wkb::multi_polygon(multi));
    out
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
        let mut query = sqlx::query(sqlx::AssertSqlSafe(Arc::clone(&insert))).bind(geometry_blob(SRS_ID, &f.geometry));
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    #[test]
    fn blobs_carry_the_srs_and_the_envelope_in_x_x_y_y_order() {
        let p = polygon![(x: 115.0, y: 40.0), (x: 116.0, y: 40.0), (x: 116.0, y: 41.0), (x: 115.0, y: 40.0)];
        let blob = geometry_blob(SRS_ID, &MultiPolygon(vec![p]));
        assert_eq!(blob[..4], [b'G', b'P', 0, 3]);
        assert_eq!(blob[4..8], 4490i32.to_le_bytes());
        let envelope: Vec<f64> = blob[8..40].chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
        assert_eq!(envelope, [115.0, 116.0, 40.0, 41.0]);
        assert_eq!(blob[40..45], [1, 6, 0, 0, 0]);
    }
}
