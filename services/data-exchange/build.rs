//! `sqlx::migrate!` embeds the migrations at compile time, but cargo does not know that it
//! reads the folder: without this, a new migration file is left out of an incremental build.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
