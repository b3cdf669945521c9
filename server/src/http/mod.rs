//! The HTTP edge: the router tree (one module per domain under [`routes`]), the one error type
//! answered as problem JSON, the extractors (the signed-in caller among them), the authentication and audit
//! middleware, and the Open311 wire format. Handlers are one call deep into the domains.

pub mod audit_layer;
pub mod error;
pub mod extract;
pub mod open311;
pub mod openapi;
pub mod overload;
pub mod request_id;
pub mod routes;
pub mod with_photos;

pub use error::ApiError;
