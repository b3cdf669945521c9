//! Accounts, sessions and bearer tokens, the caller every handler checks, and the chained
//! audit trail (等保2.0 三级). The rules themselves (roles, permissions, jurisdictions,
//! password and lockout policy, the chain) are pure, in [`wangge_core::access`]; this module
//! wires them to the store and to HTTP.

mod anchor;
mod audit;
mod caller;
mod demo;
mod layer;
mod policy;
mod scope;
mod secret;
mod service;

pub use anchor::{Anchor, AnchorError};
pub use audit::{AuditNote, Auditor, AuditorError, DenialFold};
pub use caller::{Caller, NoCaller, Scope, Via};
pub use demo::{ensure_demo_accounts, DemoAccount, DEMO_PASSWORD};
pub use layer::{authenticate, begun_row, Source, CSRF_HEADER, SESSION_COOKIE};
pub use policy::SecurityPolicy;
pub use scope::KeyScope;
pub use secret::{argon2_running, hash_password, random_token, token_hash, ARGON2_AT_ONCE};
pub use service::{ApiKeyRequest, Auth, AuthError, Issued, TokenKind};
