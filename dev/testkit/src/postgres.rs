//! A PostgreSQL server started from the system's binaries: throwaway for tests (data in a
//! temporary folder, removed by a watchdog when the test process ends) or persistent for
//! the local stack (data in a folder of the project, kept between runs).

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use sqlx::{AssertSqlSafe, Connection, PgConnection, raw_sql};

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install them, e.g. \
         `apt-get install -y postgresql`"
    )]
    BinariesMissing,
    #[error(
        "running as root, but there is no 'postgres' user to run the server as: install the `postgresql` package"
    )]
    NoPostgresUser,
    #[error("{step} failed: {detail}")]
    Command { step: String, detail: String },
    #[error("cannot prepare {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("server setting {0}: name and value must be plain tokens (letters, digits, _ and .)")]
    Setting(String),
}

/// The role each service connects as, and its schema.
pub const SERVICE_ROLES: [(&str, &str); 4] = [
    ("intake", "secal_intake"),
    ("calculation", "secal_calculation"),
    ("data_exchange", "secal_data_exchange"),
    ("payments", "secal_payments"),
];

#[derive(Debug)]
pub struct PgServer {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
    /// Settings added to the server's command line (checked plain tokens).
    settings: Vec<(String, String)>,
    /// Kept alive for throwaway servers; its drop is not relied on (the watchdog cleans up).
    _temp: Option<tempfile::TempDir>,
}

fn find_bin_dir() -> Result<PathBuf, PgError> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() && dir.join("postgres").exists() {
            return Ok(dir);
        }
    }
    // Debian installs the server outside PATH, one folder per major version.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let dir = Path::new(dir);
        if dir.join("initdb").exists() && dir.join("pg_ctl").exists() {
            return Ok(dir.to_path_buf());
        }
    }
    Err(PgError::BinariesMissing)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> Result<u16, PgError> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| PgError::Io {
        path: "127.0.0.1:0".into(),
        reason: e.to_string(),
    })?;
    l.local_addr().map(|a| a.port()).map_err(|e| PgError::Io {
        path: "127.0.0.1:0".into(),
        reason: e.to_string(),
    })
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PgError + '_ {
    move |e| PgError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Durability settings: a throwaway server trades them for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
}

impl PgServer {
    /// A new server in a temporary folder, on a free port. Stopped and removed when this
    /// process exits, even if it is killed.
    pub fn start_throwaway() -> Result<Self, PgError> {
        Self::start_throwaway_with(&[])
    }

    /// As [`PgServer::start_throwaway`], with server settings (`name`, `value`) added to the
    /// command line, e.g. the memory a bench gives the server. Names and values are
    /// plain tokens (letters, digits, `_`, `.`, and `,` in values): they go through pg_ctl's shell.
    pub fn start_throwaway_with(settings: &[(&str, &str)]) -> Result<Self, PgError> {
        let bad = |s: &str, extra: &[u8]| {
            s.is_empty()
                || !s
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || extra.contains(&b))
        };
        if let Some((n, v)) = settings.iter().find(|(n, v)| bad(n, b".") || bad(v, b".,")) {
            return Err(PgError::Setting(format!("{n}={v}")));
        }
        let temp = tempfile::Builder::new()
            .prefix("secal-pg-")
            .tempdir()
            .map_err(io_err(Path::new("temporary folder")))?;
        let data_dir = temp.path().join("data");
        let mut server = Self::init(&data_dir, true)?;
        server._temp = Some(temp);
        server.settings = settings
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let mut last = None;
        for _ in 0..3 {
            server.port = free_port()?;
            match server.start(Durability::Throwaway) {
                Ok(()) => {
                    server.spawn_watchdog()?;
                    return Ok(server);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(PgError::BinariesMissing))
    }

    /// A server whose data lives in `data_dir` (created on first use), on `port`.
    pub fn start_persistent(data_dir: &Path, port: u16) -> Result<Self, PgError> {
        let mut server = if data_dir.join("PG_VERSION").exists() {
            Self::existing(data_dir)?
        } else {
            Self::init(data_dir, false)?
        };
        server.port = port;
        // A previous run that was killed may have left the server running.
        let _ = server.pg_ctl(&["stop", "-m", "fast", "-w"]);
        server.start(Durability::Durable)?;
        Ok(server)
    }

    fn existing(data_dir: &Path) -> Result<Self, PgError> {
        let as_postgres_user = is_root();
        Ok(Self {
            bin_dir: find_bin_dir()?,
            data_dir: data_dir.to_path_buf(),
            port: 0,
            as_postgres_user,
            settings: Vec::new(),
            _temp: None,
        })
    }

    /// `own_parent`: the parent folder is ours alone (a temporary folder) and the server's
    /// user may own it too.
    fn init(data_dir: &Path, own_parent: bool) -> Result<Self, PgError> {
        let server = Self::existing(data_dir)?;
        std::fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
        if server.as_postgres_user {
            if Command::new("id")
                .arg("postgres")
                .output()
                .map(|o| !o.status.success())
                .unwrap_or(true)
            {
                return Err(PgError::NoPostgresUser);
            }
            // The server refuses to run as root: hand its folder (and the temp parent) over.
            let parent = data_dir.parent().filter(|_| own_parent).unwrap_or(data_dir);
            for dir in [parent, data_dir] {
                server.run(
                    "chown",
                    Command::new("chown").arg("postgres:postgres").arg(dir),
                )?;
            }
        }
        let initdb = server.bin_dir.join("initdb");
        let mut cmd = server.command(&initdb);
        cmd.arg("-D").arg(data_dir).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]);
        server.run("initdb", &mut cmd)?;
        Ok(server)
    }

    fn command(&self, program: &Path) -> Command {
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn run(&self, step: &str, cmd: &mut Command) -> Result<(), PgError> {
        let out = cmd.output().map_err(|e| PgError::Command {
            step: step.to_owned(),
            detail: e.to_string(),
        })?;
        if out.status.success() {
            Ok(())
        } else {
            Err(PgError::Command {
                step: step.to_owned(),
                detail: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stderr).trim(),
                    String::from_utf8_lossy(&out.stdout).trim()
                ),
            })
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), PgError> {
        let mut cmd = self.command(&self.bin_dir.join("pg_ctl"));
        cmd.arg("-D").arg(&self.data_dir).args(args);
        self.run("pg_ctl", &mut cmd)
    }

    fn start(&self, durability: Durability) -> Result<(), PgError> {
        let mut opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300",
            self.port
        );
        if durability == Durability::Throwaway {
            opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        for (name, value) in &self.settings {
            opts.push_str(&format!(" -c {name}={value}"));
        }
        let log = self.data_dir.join("server.log");
        let log = log.display().to_string();
        self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log, "-o", &opts])
    }

    /// Stops the server when `pid` (this process) is gone, then removes a throwaway folder.
    fn spawn_watchdog(&self) -> Result<(), PgError> {
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let as_user = if self.as_postgres_user {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let remove = self
            ._temp
            .as_ref()
            .map(|t| format!("rm -rf '{}'", t.path().display()))
            .unwrap_or_default();
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
             {as_user}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; {remove}",
            pid = std::process::id(),
            pg_ctl = pg_ctl.display(),
            data = self.data_dir.display(),
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| PgError::Command {
                step: "watchdog".into(),
                detail: e.to_string(),
            })
    }

    /// Stops the server, letting it finish what it was doing.
    pub fn stop(&self) -> Result<(), PgError> {
        self.pg_ctl(&["stop", "-m", "fast", "-w"])
    }

    /// Stops the server abruptly (as a crash would), for fault tests.
    pub fn kill(&self) -> Result<(), PgError> {
        self.pg_ctl(&["stop", "-m", "immediate", "-w"])
    }

    /// Starts a stopped server again with full durability (fsync, synchronous commit), so
    /// that a crash loses nothing a client was told is committed — for fault tests; the
    /// throwaway settings would lose the last commits, as they are meant to.
    pub fn start_durable(&self) -> Result<(), PgError> {
        self.start(Durability::Durable)
    }

    /// Starts a stopped server again on the same port.
    pub fn restart(&self) -> Result<(), PgError> {
        let durability = if self._temp.is_some() {
            Durability::Throwaway
        } else {
            Durability::Durable
        };
        self.start(durability)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// URL of the superuser, for provisioning and for tests that tamper with rows.
    pub fn admin_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// URL a service uses: its own role.
    pub fn role_url(&self, database: &str, role: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{database}", self.port)
    }

    pub async fn admin_connection(&self, database: &str) -> Result<PgConnection, PgError> {
        let mut last = None;
        // Right after start the server may still refuse connections for a moment.
        for _ in 0..50 {
            match PgConnection::connect(&self.admin_url(database)).await {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(last.map(PgError::Sql).unwrap_or(PgError::BinariesMissing))
    }

    /// Creates `database` if missing and, in it, each service's schema owned by that
    /// service's role, so that a role can touch its own schema only.
    pub async fn provision(&self, database: &str) -> Result<(), PgError> {
        let mut admin = self.admin_connection("postgres").await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(database)
                .fetch_one(&mut admin)
                .await?;
        if !exists {
            // Names come from this crate (generated or the stack's constant), never from input.
            raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{database}\"")))
                .execute(&mut admin)
                .await?;
        }
        for (_, role) in SERVICE_ROLES {
            // Roles are cluster-wide and tests provision concurrently: tolerate the race.
            raw_sql(AssertSqlSafe(format!(
                "DO $$ BEGIN CREATE ROLE {role} LOGIN; \
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )))
            .execute(&mut admin)
            .await?;
        }
        admin.close().await?;
        let mut db = self.admin_connection(database).await?;
        raw_sql(AssertSqlSafe(format!(
            "REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM PUBLIC"
        )))
        .execute(&mut db)
        .await?;
        for (schema, role) in SERVICE_ROLES {
            raw_sql(AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}; \
                 GRANT CONNECT ON DATABASE \"{database}\" TO {role}"
            )))
            .execute(&mut db)
            .await?;
        }
        db.close().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_are_not_plain_tokens_are_refused_before_anything_starts() {
        for bad in [
            ("shared_buffers", "1GB; touch /tmp/x"),
            ("work_mem", "'4MB'"),
            ("work mem", "4MB"),
            ("", "4MB"),
            ("work_mem", ""),
        ] {
            assert!(
                matches!(
                    PgServer::start_throwaway_with(&[bad]),
                    Err(PgError::Setting(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_server_started_with_settings_runs_with_them() -> anyhow::Result<()> {
        let server = PgServer::start_throwaway_with(&[("work_mem", "7MB")])?;
        let pool = sqlx::PgPool::connect(&server.admin_url("postgres")).await?;
        let shown: String = sqlx::query_scalar("SHOW work_mem").fetch_one(&pool).await?;
        assert_eq!(shown, "7MB");
        Ok(())
    }
}
