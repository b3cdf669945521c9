//! The signed-in caller of a request and the checks handlers make with it.

use wangge_core::access::{Denied, Grant, Jurisdiction, Permission};

/// Why the caller may not do or see something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The grant does not allow it; `action` names what was refused (for the audit log).
    #[error("{reason}")]
    Forbidden {
        /// The permission's wire name.
        action: String,
        /// Why not.
        reason: String,
    },
    /// The object is outside the caller's jurisdiction: answered exactly like a missing one.
    #[error("{0}")]
    Hidden(String),
}

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session cookie; unsafe methods must also carry its CSRF token.
    Cookie {
        /// The session's stored hash.
        token_hash: String,
        /// The session's CSRF token.
        csrf: String,
    },
    /// A bearer token (phone app, API key).
    Bearer {
        /// The token's stored hash.
        token_hash: String,
    },
}

impl Via {
    /// The stored hash of the session or token.
    pub fn token_hash(&self) -> &str {
        match self {
            Self::Cookie { token_hash, .. } | Self::Bearer { token_hash } => token_hash,
        }
    }
}

/// Who is calling: the account, its grant (none until the security administrator gives one)
/// and what it acts as. Handlers take it as an extractor: no live session is a 401.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Log-in name.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Role over a jurisdiction.
    pub grant: Option<Grant>,
    /// Person id (gridworker) or department code (department handler).
    pub acting_as: String,
    /// Cookie or bearer token.
    pub via: Via,
    /// The password must be changed before anything else.
    pub password_expired: bool,
    /// An API key's scope: the only routes it may call (`None` for sessions and device tokens).
    pub key_scope: Option<crate::access::KeyScope>,
}

/// Why the request has no caller (set by the authentication layer when a credential was
/// offered but is no longer good).
#[derive(Debug, Clone)]
pub struct NoCaller(pub String);

impl Caller {
    /// The grant, if it allows `permission` (403 with the reason otherwise).
    pub fn require(&self, permission: Permission) -> Result<&Grant, Denial> {
        let refuse = |reason: String| Denial::Forbidden { action: permission.as_str().to_owned(), reason };
        let Some(grant) = &self.grant else {
            return Err(refuse("this account has no role yet; ask the security administrator for a grant".into()));
        };
        if !wangge_core::access::allows(grant.role, permission) {
            return Err(refuse(
                Denied::Forbidden { role: grant.role.as_str(), permission: permission.as_str() }.to_string(),
            ));
        }
        if !grant.may(permission) {
            return Err(refuse(Denied::NeedsWiderGrant { permission: permission.as_str() }.to_string()));
        }
        Ok(grant)
    }

    /// The caller's jurisdiction once `permission` is checked.
    pub fn scope(&self, permission: Permission) -> Result<Scope, Denial> {
        Ok(Scope(self.require(permission)?.jurisdiction.clone()))
    }

    /// Who the timeline records as acting: the person or department the account acts as,
    /// else its centre (`county` or the division code), else the user name.
    pub fn actor_id(&self) -> String {
        if !self.acting_as.is_empty() {
            return self.acting_as.clone();
        }
        match &self.grant {
            Some(g) => g.jurisdiction.as_str().to_owned(),
            None => self.username.clone(),
        }
    }

    /// Whether the caller may read this event: it has `read_events`, the event is inside its
    /// jurisdiction and, for a department handler, its department holds or handled it. The one
    /// rule for every way an event is read (the API, Open311, search, the live queue).
    pub fn sees_event(&self, event: &crate::records::EventRecord) -> bool {
        let Ok(scope) = self.scope(Permission::ReadEvents) else { return false };
        if !scope.0.covers(&event.place.township, &event.place.village) {
            return false;
        }
        let department = self.grant.as_ref().is_some_and(|g| g.role == wangge_core::access::Role::DepartmentHandler);
        let ours = |h: Option<&wangge_core::event::Holder>| {
            h.is_some_and(|h| h.tier == wangge_core::event::Tier::Department && h.id == self.acting_as)
        };
        !department || ours(event.flow.holder.as_ref()) || ours(event.flow.last_handler.as_ref())
    }

    /// Every permission the caller's grant gives (for the frontend to show what it may).
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.grant.as_ref().is_some_and(|g| g.may(*p))).collect()
    }
}

/// The area a caller may see: every list is filtered by it and anything outside is
/// answered as missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope(pub Jurisdiction);

impl Scope {
    /// Whether a code (township, village or grid) is inside; the county covers everything,
    /// department codes included.
    pub fn covers(&self, code: &str) -> bool {
        self.is_county() || self.0.covers_code(code)
    }

    /// Whether the whole county is in view (no filter needed).
    pub fn is_county(&self) -> bool {
        self.0 == Jurisdiction::County
    }

    /// Narrows a township/village filter to the scope: `None` when the asked area and the
    /// scope do not meet (the answer is then empty), else the filter to use.
    pub fn narrow(&self, township: Option<String>, village: Option<String>) -> Option<(Option<String>, Option<String>)> {
        let asked = village.as_deref().or(township.as_deref());
        match (&self.0, asked) {
            (Jurisdiction::County, _) => Some((township, village)),
            (j, None) => Some(split(j)),
            (j, Some(code)) if j.covers_code(code) => Some((township, village)),
            (j, Some(code)) => {
                // Asking for a whole township that holds the caller's village narrows to the village.
                let own = j.as_str();
                own.starts_with(code).then(|| split(j))
            }
        }
    }

    /// A `404` for an object outside the scope, with the same message as a missing one.
    pub fn hide(&self, message: String) -> Denial {
        Denial::Hidden(message)
    }
}

fn split(j: &Jurisdiction) -> (Option<String>, Option<String>) {
    let code = j.as_str();
    match code.len() {
        9 => (Some(code.to_owned()), None),
        12 => (Some(code[..9].to_owned()), Some(code.to_owned())),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(code: &str) -> Scope {
        Scope(Jurisdiction::parse(code).unwrap())
    }

    #[test]
    fn narrowing_keeps_filters_inside_the_scope() {
        let s = |t: Option<&str>, v: Option<&str>| (t.map(str::to_owned), v.map(str::to_owned));
        let town = scope("130730100");
        assert_eq!(town.narrow(None, None), Some(s(Some("130730100"), None)));
        assert_eq!(town.narrow(Some("130730100".into()), None), Some(s(Some("130730100"), None)));
        assert_eq!(town.narrow(Some("130730101".into()), None), None);
        assert_eq!(town.narrow(None, Some("130730100001".into())), Some(s(None, Some("130730100001"))));
        assert_eq!(town.narrow(None, Some("130730101001".into())), None);
        let village = scope("130730100001");
        assert_eq!(village.narrow(None, None), Some(s(Some("130730100"), Some("130730100001"))));
        assert_eq!(village.narrow(Some("130730100".into()), None), Some(s(Some("130730100"), Some("130730100001"))));
        assert_eq!(village.narrow(None, Some("130730100002".into())), None);
        assert_eq!(scope("county").narrow(Some("130730101".into()), None), Some(s(Some("130730101"), None)));
    }
}
