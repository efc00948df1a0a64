//! Each service connects with its own role, works in its own schema and runs its embedded
//! migrations at start-up. Schema and role are created by whoever provisions the database
//! (the local stack, the test kit, the cluster's database operator).

use std::{str::FromStr, time::Duration};

use sqlx::{
    PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("bad database URL: {0}")]
    BadUrl(String),
    #[error("database URL must name the user (e.g. postgres://{schema}@host:5432/secal)")]
    NoUser { schema: String },
    #[error("cannot connect to the database at {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error(
        "schema '{schema}' is missing or not usable by role '{role}': create it with \
         CREATE SCHEMA {schema} AUTHORIZATION {role}"
    )]
    SchemaMissing { schema: String, role: String },
    #[error("migrations of schema '{schema}' failed: {reason}")]
    Migrate { schema: String, reason: String },
}

/// True when the URL carries a user, in the authority (`user@host`) or as `?user=`.
fn names_user(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (authority, query) = match rest.split_once('?') {
        Some((head, query)) => (head.split('/').next().unwrap_or_default(), query),
        None => (rest.split('/').next().unwrap_or_default(), ""),
    };
    let in_authority = authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| !userinfo.split(':').next().unwrap_or_default().is_empty());
    in_authority
        || query
            .split('&')
            .any(|pair| pair.strip_prefix("user=").is_some_and(|u| !u.is_empty()))
}

/// Opens the pool with `search_path` set to the service's schema, checks that the schema is
/// there and runs the migrations. sqlx takes an advisory lock while migrating, so replicas
/// starting together do not race.
pub async fn connect_and_migrate(
    url: &str,
    schema: &str,
    max_connections: u32,
    migrator: &Migrator,
) -> Result<PgPool, DbError> {
    let options = PgConnectOptions::from_str(url).map_err(|e| DbError::BadUrl(e.to_string()))?;
    // sqlx falls back to $USER/$PGUSER when the URL names no user, which would make a service
    // silently connect as whoever runs it; we insist on the service's own role.
    if !names_user(url) {
        return Err(DbError::NoUser {
            schema: schema.to_owned(),
        });
    }
    let target = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    );
    let role = options.get_username().to_owned();
    let options = options
        .options([("search_path", schema)])
        .application_name(&format!("secal-{schema}"));
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|e| DbError::Connect {
            target,
            reason: e.to_string(),
        })?;
    let current: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&pool)
        .await
        .map_err(|e| DbError::Connect {
            target: schema.to_owned(),
            reason: e.to_string(),
        })?;
    if current.as_deref() != Some(schema) {
        return Err(DbError::SchemaMissing {
            schema: schema.to_owned(),
            role,
        });
    }
    migrator.run(&pool).await.map_err(|e| DbError::Migrate {
        schema: schema.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::names_user;

    #[test]
    fn a_url_must_name_its_user() {
        assert!(names_user("postgres://secal_intake@127.0.0.1:5432/secal"));
        assert!(names_user(
            "postgres://secal_intake:pw@db/secal?sslmode=require"
        ));
        assert!(names_user(
            "postgresql://db/secal?sslmode=disable&user=secal_payments"
        ));
        assert!(!names_user("postgres://127.0.0.1/secal"));
        assert!(!names_user("postgres://:pw@127.0.0.1/secal"));
        assert!(!names_user("postgres://127.0.0.1/secal?user="));
    }
}
