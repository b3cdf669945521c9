//! The `wangge` binary: parses the configuration, opens the store and serves the API — or runs
//! one of the console's commands ([`wangge_server::admin`]).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use wangge_server::logging::error_chain;
use wangge_server::grids::live::spawn_grid_watch;
use wangge_server::config::Command;
use wangge_server::events::supervision;
use wangge_server::{app, state_from_config, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    // The console's commands print their results on standard output; their log lines go to
    // standard error, warnings and the progress of long jobs only, unless RUST_LOG says more.
    let console = config.command.is_some();
    let default = if console { "warn,wangge_server::progress=info" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only on a terminal: a file, a pipe or a CI log gets plain text.
    let (stdout_colours, stderr_colours) = (std::io::stdout().is_terminal(), std::io::stderr().is_terminal());
    match (config.log_format == "json", console) {
        // One object per line; the request's span (its request_id, method and route) in each.
        (true, false) => tracing_subscriber::fmt().json().with_current_span(true).with_span_list(false).with_env_filter(filter).init(),
        (true, true) => tracing_subscriber::fmt().json().with_writer(std::io::stderr).with_env_filter(filter).init(),
        (false, false) => tracing_subscriber::fmt().with_ansi(stdout_colours).with_env_filter(filter).init(),
        (false, true) => tracing_subscriber::fmt().with_ansi(stderr_colours).with_writer(std::io::stderr).with_env_filter(filter).init(),
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if console => {
            eprintln!("wangge: {}", error_chain(e.as_ref()));
            ExitCode::FAILURE
        }
        Err(e) => {
            tracing::error!(error = %error_chain(e.as_ref()), "wangge stopped");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    match &config.command {
        Some(Command::Admin(command)) => return Ok(wangge_server::admin::run(&config, command).await?),
        Some(Command::CheckConfig) => return Ok(wangge_server::admin::check_config(&config).await?),
        Some(Command::CheckDb) => return Ok(wangge_server::admin::check_db(&config).await?),
        Some(Command::Backup { to }) => {
            let m = wangge_server::backup::backup(&config, to).await?;
            println!(
                "backed up to {}: {} events, {} audit rows, {} photo files, database {} bytes (sha256 {}){}",
                to.display(),
                m.events,
                m.audit_rows,
                m.attachments,
                m.database_bytes,
                m.database_sha256,
                if m.audit_anchor { ", audit anchor" } else { "" }
            );
            println!("the key files (audit.key, registry.key) are not in it: keep their copies apart");
            return Ok(());
        }
        None => {}
    }
    let state = state_from_config(&config).await?;
    let store = state.store.clone();
    if config.supervise_every_secs > 0 {
        let every = std::time::Duration::from_secs(config.supervise_every_secs);
        supervision::spawn(state.supervisor(), state.clock.clone(), every);
        tracing::info!(every_secs = config.supervise_every_secs, "supervision started");
    }
    if config.freeze_after_days > 0 && config.supervise_every_secs > 0 {
        state.spawn_freezer(config.freeze_after_days, std::time::Duration::from_secs(3600));
        tracing::info!(after_days = config.freeze_after_days, "assessed periods freeze by themselves");
    }
    if spawn_grid_watch(state.store.clone(), state.live_grids()).await? {
        tracing::info!("following grid changes made by other instances and in the database");
    }
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    print_demo_accounts(&state, config.log_format == "json");
    tracing::info!(listen = %listener.local_addr()?, backend = store.backend(), "serving");
    let changes = state.changes.clone();
    let auditor = state.auditor.clone();
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // From the signal on: no new connections, the live queues end, the requests in flight are
    // answered (reports committed first), then the process exits — or after the drain time.
    let (signalled, drain_started) = tokio::sync::oneshot::channel::<()>();
    let stopping = async move {
        shutdown().await;
        changes.close();
        let _ = signalled.send(());
    };
    let serving = std::future::IntoFuture::into_future(axum::serve(listener, service).with_graceful_shutdown(stopping));
    let drain = std::time::Duration::from_secs(config.drain_secs);
    let deadline = async move {
        if drain_started.await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        served = serving => served?,
        () = deadline => tracing::warn!(drain_secs = config.drain_secs, "requests still in flight after the drain time; exiting"),
    }
    // The anchor names every row sealed before the exit.
    auditor.anchored().await;
    if tokio::time::timeout(std::time::Duration::from_secs(5), store.close()).await.is_err() {
        tracing::warn!("database connections still busy after 5 s; exiting");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Prints the demo accounts (demo county only) so that whoever started it can log in; with JSON
/// logs, one log line each and no password (it is in the README), as nothing in a log collector
/// may hold one.
fn print_demo_accounts(state: &wangge_server::AppState, json_logs: bool) {
    if state.demo_accounts.is_empty() {
        return;
    }
    if json_logs {
        for a in &state.demo_accounts {
            tracing::info!(username = %a.username, role = a.grant.role.as_str(), jurisdiction = a.grant.jurisdiction.as_str(), "demo account (password: see the README)");
        }
        return;
    }
    println!("demo accounts (password {}):", wangge_server::demo::DEMO_PASSWORD);
    for a in &state.demo_accounts {
        println!(
            "  {:<11} {:<18} {:<12} {}",
            a.username,
            a.grant.role.as_str(),
            a.grant.jurisdiction.as_str(),
            a.display_name
        );
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
