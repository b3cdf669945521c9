//! Who may do what, where, and the record of it: roles and jurisdiction-scoped grants, the
//! permission table (三员分立), the password policy, login lockout and throttling, the chained
//! audit trail and the masking of personal data — the pure half of MLPS level 3 (等保2.0 三级).
//!
//! Nothing here touches a clock, a database or the network: time is passed in, state is
//! returned to be stored, so the server wires it and the frontend can reuse it.
//!
//! ```
//! use wangge_core::access::{Grant, Jurisdiction, Permission, Role};
//! let grant = Grant::new(Role::Dispatcher, Jurisdiction::parse("130730100").unwrap()).unwrap();
//! assert!(grant.may(Permission::EscalateEvent));
//! assert!(grant.jurisdiction.covers_code("130730100001Z01"));
//! assert!(!grant.jurisdiction.covers_code("130730101001001"));
//! assert!(!grant.may(Permission::ReadAuditLog));
//! ```

mod audit;
mod jurisdiction;
mod lockout;
mod mask;
mod password;
mod policy;
mod role;

pub use audit::{
    canonical_bytes, redact_secrets, seal, verify_chain, AuditError, AuditKey, AuditOutcome, AuditRow, BreakKind,
    ChainBreak, ChainHead, Digest, SealedRow, GENESIS, MAX_DETAIL, MAX_OBJECT, MAX_SHORT,
};
pub use jurisdiction::{CodeError, CodeLevel, Jurisdiction};
pub use lockout::{record_login, AccountLock, LockoutPolicy, LoginRefusal, Throttle, ThrottlePolicy};
pub use mask::{mask_id_number, mask_name, mask_phone, mask_text};
pub use password::{CharClass, PasswordPolicy, PasswordProblem, PolicyError, WeakPassword, MIN_LENGTH_FLOOR};
pub use policy::{allows, may_move_to, may_transition, Actor, Denied, EventScope, Move, Permission};
pub use role::{Grant, GrantError, Role};
