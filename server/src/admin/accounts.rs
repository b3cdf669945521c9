//! `wangge admin bootstrap | reset-password | create-account | grant | disable | list-accounts`:
//! the system and security administrators' account work (三员分立) from the console, with the
//! checks of the administrators' HTTP API ([`crate::access::grants`] and the roster's and
//! departments' rules) and its audit actions.

use chrono::Utc;
use wangge_core::access::{AuditOutcome, Grant, Role};

use super::{table, AdminError, Console};
use crate::access::{check_names, grant_detail, grant_of, service_may_hold, Auth};
use crate::config::AdminCommand;
use crate::events::rules::Rules;
use crate::store::{from_micros, micros, AccountRecord};

/// What an audit row says of a one-time password.
const ONE_TIME: &str = "one-time password issued; it must be changed at the first login";

/// Runs an account command.
pub(super) async fn run(console: &Console, command: &AdminCommand) -> Result<(), AdminError> {
    match command {
        AdminCommand::Bootstrap { username, role, display_name } => {
            let role = parse_role(role)?;
            let shown = display_name.clone().unwrap_or_else(|| username.clone());
            let auth = Auth::new(console.store.clone()).await?;
            let work = async {
                let password = auth.bootstrap_admin(username, &shown, role, Utc::now()).await?;
                let password = password.ok_or_else(|| AdminError::Refused(format!("an account named {username:?} exists already")))?;
                Ok::<_, AdminError>((password, ONE_TIME.to_owned()))
            };
            let password = console.change("bootstrap_account", &format!("account:{username}"), work).await?;
            print_password(username, &password);
        }
        AdminCommand::ResetPassword { username } => {
            let auth = Auth::new(console.store.clone()).await?;
            let work = async {
                let password = auth.reset_password(username, Utc::now()).await?;
                let password = password.ok_or_else(|| AdminError::Refused(format!("no account {username:?}")))?;
                Ok::<_, AdminError>((password, ONE_TIME.to_owned()))
            };
            let password = console.change("reset_password", &format!("account:{username}"), work).await?;
            print_password(username, &password);
        }
        AdminCommand::CreateAccount { username, display_name, role, scope, acting_as } => {
            check_names(username, display_name).map_err(|e| AdminError::Refused(e.to_string()))?;
            let grant = checked_grant(console, role, scope, acting_as).await?;
            let auth = Auth::new(console.store.clone()).await?;
            let work = async {
                let made = auth.create_with_one_time_password(username, display_name, Some(&grant), acting_as, Utc::now()).await?;
                let password = made.ok_or_else(|| AdminError::Refused(format!("an account named {username:?} exists already")))?;
                Ok::<_, AdminError>((password, format!("{}; {ONE_TIME}", grant_detail(&grant, acting_as))))
            };
            let password = console.change("create_account", &format!("account:{username}"), work).await?;
            println!("created {username} ({}) as {}", display_name, grant_detail(&grant, acting_as));
            print_password(username, &password);
        }
        AdminCommand::Grant { username, role, scope, acting_as } => {
            let grant = checked_grant(console, role, scope, acting_as).await?;
            let account = console.store.account(username).await?.ok_or_else(|| AdminError::Refused(format!("no account {username:?}")))?;
            service_may_hold(&account, &grant).map_err(|e| AdminError::Refused(e.to_string()))?;
            let work = async {
                let (role, j) = (grant.role.as_str(), grant.jurisdiction.as_str());
                if !console.store.set_grant(username, Some(role), Some(j), acting_as).await? {
                    return Err(AdminError::Refused(format!("no account {username:?}")));
                }
                Ok::<_, AdminError>(((), grant_detail(&grant, acting_as)))
            };
            console.change("change_grant", &format!("account:{username}"), work).await?;
            println!("{username} now holds {}", grant_detail(&grant, acting_as));
        }
        AdminCommand::Disable { username, enable } => {
            let (action, done) = if *enable { ("enable_account", "enabled") } else { ("disable_account", "disabled; its sessions ended") };
            let work = async {
                if !console.store.set_disabled(username, !enable, micros(Utc::now())).await? {
                    return Err(AdminError::Refused(format!("no account {username:?}")));
                }
                Ok::<_, AdminError>(((), String::new()))
            };
            console.change(action, &format!("account:{username}"), work).await?;
            println!("{username}: {done}");
        }
        AdminCommand::ListAccounts => list(console).await?,
        _ => return Err(AdminError::Refused("not an account command".into())),
    }
    Ok(())
}

fn parse_role(text: &str) -> Result<Role, AdminError> {
    Role::parse(text).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        AdminError::Refused(format!("unknown role {text:?}; one of {}", known.join(", ")))
    })
}

/// The grant asked for, checked as the HTTP API checks it: the role at the jurisdiction's
/// level, and whom it acts as (a person of the roster, a department of the county).
async fn checked_grant(console: &Console, role: &str, scope: &str, acting_as: &str) -> Result<Grant, AdminError> {
    let grant = grant_of(parse_role(role)?, Some(scope)).map_err(|e| AdminError::Refused(e.to_string()))?;
    let rules = Rules::load(&console.store).await.map_err(|e| AdminError::Refused(crate::logging::error_chain(&e)))?;
    rules.acting_as_ok(&grant, acting_as).map_err(AdminError::Refused)?;
    Ok(grant)
}

fn print_password(username: &str, password: &str) {
    println!("{username}: one-time password {password}");
    println!("(shown once; it must be changed at the first login)");
}

/// The accounts as a table; read like the HTTP list, and audited as it is.
async fn list(console: &Console) -> Result<(), AdminError> {
    let accounts = console.store.accounts().await?;
    let now = micros(Utc::now());
    let rows: Vec<Vec<String>> = accounts.iter().map(|a| row(a, now)).collect();
    let header = ["username", "display name", "role", "scope", "acting as", "state", "created"];
    println!("{}", table::render(&header, &rows));
    console.audit("list_accounts", "accounts", AuditOutcome::Success, "").await
}

fn row(a: &AccountRecord, now_us: i64) -> Vec<String> {
    let state = if a.disabled {
        "disabled".to_owned()
    } else if let Some(until) = a.locked_until_us.filter(|u| *u > now_us) {
        format!("locked until {}", from_micros(until).format("%Y-%m-%d %H:%M"))
    } else if a.service {
        "service (API keys)".to_owned()
    } else if a.password_changed_us == 0 {
        "must change password".to_owned()
    } else {
        "active".to_owned()
    };
    vec![
        a.username.clone(),
        a.display_name.clone(),
        a.role.clone().unwrap_or_else(|| "-".into()),
        a.jurisdiction.clone().unwrap_or_else(|| "-".into()),
        if a.acting_as.is_empty() { "-".into() } else { a.acting_as.clone() },
        state,
        from_micros(a.created_us).format("%Y-%m-%d").to_string(),
    ]
}
