//! Accounts, sessions and bearer tokens, API keys and their scopes, and the chained audit trail
//! (等保2.0 三级). The rules themselves (roles, permissions, jurisdictions, password and lockout
//! policy, the chain) are pure, in [`wangge_core::access`]; this module wires them to the store.
//! The HTTP side (the caller extractor, the authentication and audit middleware) is in
//! [`crate::http`].

mod anchor;
mod audit;
mod caller;
mod device;
mod fieldcrypt;
mod grants;
mod policy;
mod scope;
mod secret;
mod service;
mod verify;

pub use anchor::{Anchor, AnchorError, AnchorFeed};
pub use fieldcrypt::{FieldCryptError, FieldKeys};
pub use grants::{check_names, grant_detail, grant_of, service_may_hold, GrantRefused};
pub use caller::{Caller, Denial, NoCaller, Scope, Via};
pub use audit::{AuditNote, Auditor, AuditorError, DenialFold, SealedWithChange};
pub use policy::SecurityPolicy;
pub use scope::KeyScope;
pub use secret::{argon2_running, hash_password, random_token, same, token_hash, ARGON2_AT_ONCE};
pub use device::{needs_device, DeviceCheck};
pub use service::{csrf_matches, ApiKeyRequest, Auth, AuthError, Issued, TokenKind};
pub use verify::verify_trail;
