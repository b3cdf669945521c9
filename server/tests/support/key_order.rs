//! Whether a JSON text writes every object's members in key order, as a JSON map (and so the
//! service's answers built from one) writes them; numbers and strings are skipped unread.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Panics, naming the key, unless every object of `bytes` has its members in key order.
pub fn assert_in_key_order(bytes: &[u8]) {
    if let Err(e) = serde_json::from_slice::<Ordered>(bytes) {
        panic!("{e}: {}", String::from_utf8_lossy(bytes).chars().take(400).collect::<String>());
    }
}

struct Ordered;

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut last: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if last.as_ref().is_some_and(|l| *l >= key) {
                return Err(serde::de::Error::custom(format!("member {key:?} after {last:?}")));
            }
            map.next_value::<Ordered>()?;
            last = Some(key);
        }
        Ok(Ordered)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        while seq.next_element::<Ordered>()?.is_some() {}
        Ok(Ordered)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
        Ok(Ordered)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
        Ok(Ordered)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
        Ok(Ordered)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
        Ok(Ordered)
    }
    fn visit_str<E>(self, _: &str) -> Result<Ordered, E> {
        Ok(Ordered)
    }
    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered)
    }
}

