//! Times as the stores keep them — one Rust type, so one SQL text and one bind serve both
//! backends: SQLite stores fixed-width RFC 3339 text (compared as text), PostGIS `timestamptz`.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgHasArrayType, PgTypeInfo};
use sqlx::{Database, Decode, Encode, Postgres, Sqlite, Type};

/// A time to the millisecond, as both stores write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Time(DateTime<Utc>);

impl Time {
    /// The stored text, e.g. `2024-05-01T08:00:00.123Z`: what SQLite's
    /// `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` writes, fixed width, so text order is time order.
    pub(super) fn text(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl From<DateTime<Utc>> for Time {
    /// Truncates to the millisecond, as both stores keep times.
    fn from(t: DateTime<Utc>) -> Self {
        Self(t.trunc_subsecs(3))
    }
}

impl From<Time> for DateTime<Utc> {
    fn from(t: Time) -> Self {
        t.0
    }
}

impl Type<Sqlite> for Time {
    fn type_info() -> <Sqlite as Database>::TypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &<Sqlite as Database>::TypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Time {
    fn encode_by_ref(&self, buf: &mut <Sqlite as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode(self.text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Time {
    fn decode(value: <Sqlite as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        let time = DateTime::parse_from_rfc3339(text).map_err(|e| format!("bad time {text:?}: {e}"))?;
        Ok(Self(time.with_timezone(&Utc)))
    }
}

impl Type<Postgres> for Time {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl PgHasArrayType for Time {
    fn array_type_info() -> PgTypeInfo {
        <DateTime<Utc> as PgHasArrayType>::array_type_info()
    }
}

impl Encode<'_, Postgres> for Time {
    fn encode_by_ref(&self, buf: &mut <Postgres as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Time {
    fn decode(value: <Postgres as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn sqlite_text_is_fixed_width_millisecond_utc() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap() + chrono::Duration::microseconds(123_456);
        assert_eq!(Time::from(t).text(), "2024-05-01T08:00:00.123Z");
        let whole = Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap();
        assert_eq!(Time::from(whole).text(), "2024-05-01T08:00:00.000Z");
        assert_eq!(DateTime::<Utc>::from(Time::from(t)).timestamp_subsec_micros(), 123_000);
    }

    #[tokio::test]
    async fn sqlite_reads_back_what_it_wrote_and_what_strftime_writes() {
        let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect("sqlite::memory:").await.unwrap();
        let t = Time::from(Utc.with_ymd_and_hms(2031, 12, 31, 23, 59, 59).unwrap());
        let (text, back): (String, Time) =
            sqlx::query_as("SELECT $1, $1").bind(t).fetch_one(&mut db).await.unwrap();
        assert_eq!((text.as_str(), back), ("2031-12-31T23:59:59.000Z", t));
        let (now, parsed): (String, Time) =
            sqlx::query_as("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS t, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")
                .fetch_one(&mut db)
                .await
                .unwrap();
        assert_eq!(parsed.text(), now, "the text SQLite writes round-trips byte for byte");
    }
}
