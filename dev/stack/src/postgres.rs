//! Keeping the stack's PostgreSQL up: if it dies (kill -9, out of memory), it is started
//! again on the same data and port, as the services are.
//!
//! Whether it runs is read from its own lock file (`postmaster.pid`, first line the
//! server's process id), not from the port: the port may be taken by something else, and a
//! server in crash recovery accepts connections it then refuses.

use std::path::Path;

use secal_testkit::PgServer;

/// Successful restarts before the stack gives up: a server that keeps dying needs a person.
const MAX_RESTARTS: u32 = 5;
/// Failed start attempts in a row (one per supervision tick) before the stack gives up. The
/// first may fail while the dead server's children are still detaching from its memory.
const MAX_FAILED_STARTS: u32 = 20;

/// What [`PgWatch::keep_up`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgState {
    Running,
    /// It had died and runs again.
    Restarted,
    /// It is down and the attempt to start it failed (why); the next tick tries again.
    StillDown(String),
}

/// Restarts of the stack's server so far.
#[derive(Debug, Default)]
pub struct PgWatch {
    restarts: u32,
    failed_starts: u32,
}

impl PgWatch {
    /// Starts `pg` again if its postmaster is gone. Blocks while `pg_ctl` starts it (up to
    /// its 60 s wait): the services cannot work without it anyway.
    pub fn keep_up(&mut self, pg: &PgServer, data_dir: &Path) -> anyhow::Result<PgState> {
        if postmaster_alive(data_dir) {
            self.failed_starts = 0;
            return Ok(PgState::Running);
        }
        anyhow::ensure!(
            self.restarts < MAX_RESTARTS,
            "PostgreSQL keeps dying ({} restarts); see {}",
            self.restarts,
            data_dir.join("server.log").display()
        );
        match pg.restart() {
            Ok(()) => {
                self.restarts += 1;
                self.failed_starts = 0;
                Ok(PgState::Restarted)
            }
            Err(e) => {
                self.failed_starts += 1;
                anyhow::ensure!(
                    self.failed_starts < MAX_FAILED_STARTS,
                    "PostgreSQL died and does not start again: {e}; see {}",
                    data_dir.join("server.log").display()
                );
                // pg_ctl's message spans lines; the stack prints one.
                let why = e
                    .to_string()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                Ok(PgState::StillDown(why))
            }
        }
    }
}

/// True while the server whose data folder is `data_dir` has a live postmaster.
///
/// A dead postmaster whose parent has not reaped it yet is a zombie (`Z`): still in the
/// process table, but not serving; it counts as dead.
pub fn postmaster_alive(data_dir: &Path) -> bool {
    let Ok(lock) = std::fs::read_to_string(data_dir.join("postmaster.pid")) else {
        return false;
    };
    let Some(pid) = lock
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<u32>().ok())
    else {
        return false;
    };
    process_running(pid)
}

/// Linux: the process exists and is not a zombie (the state follows the command name's
/// closing parenthesis in `/proc/<pid>/stat`).
fn process_running(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    !matches!(state, None | Some("Z" | "X"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// The real thing: a persistent server as the stack runs it, its postmaster killed with
    /// SIGKILL, brought back on the same data by the watch.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_killed_server_is_started_again_with_its_data() -> anyhow::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        // The server may run as the `postgres` user (when this runs as root): it must be
        // able to reach its folder.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        let data = dir.path().join("pgdata");
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let pg = Stopped(PgServer::start_persistent(&data, port)?);
        let pg = &pg.0;
        pg.provision("secal").await?;
        sqlx_exec(
            pg,
            "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)",
        )
        .await?;
        let mut watch = PgWatch::default();
        assert_eq!(watch.keep_up(pg, &data)?, PgState::Running);

        let pid = std::fs::read_to_string(data.join("postmaster.pid"))?;
        let pid = pid.lines().next().unwrap_or_default().trim().to_owned();
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status()?;
        assert!(killed.success());
        while postmaster_alive(&data) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let mut state = watch.keep_up(pg, &data)?;
        while matches!(state, PgState::StillDown(_)) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            state = watch.keep_up(pg, &data)?;
        }
        assert_eq!(state, PgState::Restarted);
        assert!(postmaster_alive(&data));
        let mut conn = pg.admin_connection("secal").await?;
        let kept: i32 = sqlx::query_scalar("SELECT v FROM kept")
            .fetch_one(&mut conn)
            .await?;
        assert_eq!(kept, 42);
        Ok(())
    }

    /// Stops the test's server however the test ends (nothing else would).
    struct Stopped(PgServer);

    impl Drop for Stopped {
        fn drop(&mut self) {
            let _ = self.0.kill();
        }
    }

    async fn sqlx_exec(pg: &PgServer, sql: &'static str) -> anyhow::Result<()> {
        let mut conn = pg.admin_connection("secal").await?;
        sqlx::raw_sql(sql).execute(&mut conn).await?;
        Ok(())
    }

    #[test]
    fn a_lock_file_naming_a_live_process_means_alive() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        assert!(!postmaster_alive(dir.path()), "no lock file");
        let lock = dir.path().join("postmaster.pid");
        std::fs::write(&lock, format!("{}\n/data\n", std::process::id()))?;
        assert!(postmaster_alive(dir.path()), "this process is alive");
        std::fs::write(&lock, "nonsense\n")?;
        assert!(!postmaster_alive(dir.path()));
        Ok(())
    }

    #[test]
    fn a_lock_file_left_by_a_dead_process_means_dead() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut child = std::process::Command::new("true").spawn()?;
        let pid = child.id();
        child.wait()?;
        std::fs::write(dir.path().join("postmaster.pid"), format!("{pid}\n"))?;
        assert!(!postmaster_alive(dir.path()));
        Ok(())
    }
}
