//! What `secal-dev up` prints once the stack serves: addresses, the administrator token and
//! commands to copy.
//!
//! Every command names this very binary and the state folder by absolute path, quoted for
//! the shell: `scripts/stack` runs from the repository root whatever the caller's folder
//! is, a relative `--dir` would then point elsewhere from the caller's shell, and a command
//! without `--dir` would mint tokens with another folder's key (or none).

use std::{collections::HashMap, net::SocketAddr, path::Path};

use secal_testkit::Svc;

/// `word` as one shell word: left as it is when it holds only characters no shell treats
/// specially, else in single quotes (a quote inside closes, escapes and reopens them).
pub fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:=@%".contains(&b));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The command minting a token with the key of the stack in `dir`, runnable from any folder.
pub fn token_command(exe: &Path, dir: &Path) -> String {
    format!(
        "{} --dir {} token --subject agent-42 --roles case-officer,personal-data-reader",
        shell_word(&exe.display().to_string()),
        shell_word(&dir.display().to_string()),
    )
}

pub fn print(dir: &Path, addrs: &HashMap<Svc, SocketAddr>, admin_token: &str) {
    println!("\nSECAL local stack is up.\n");
    for svc in Svc::ALL {
        println!(
            "  {:<14} {}  JSON {}   ({})",
            svc.spec().name,
            addrs[&svc],
            crate::stack::http_addr(addrs[&svc]),
            svc.grpc_names().join(", ")
        );
    }
    let intake = addrs[&Svc::Intake];
    let env_file = shell_word(&dir.join("stack.env").display().to_string());
    println!("\nAdministrator token (24 h), also in {env_file} as SECAL_TOKEN:\n\n{admin_token}\n");
    println!("Try it (buf from `pip install buf-bin`, or grpcurl):");
    println!("  source {env_file}");
    println!(
        "  buf curl --protocol grpc --http2-prior-knowledge --list-methods http://$SECAL_INTAKE_ADDR"
    );
    println!(
        "  buf curl --protocol grpc --http2-prior-knowledge -H \"Authorization: Bearer $SECAL_TOKEN\" \\\n    \
         -d '{{\"kind\":\"REFERENCE_KIND_LEGAL_INTEREST_RATE\"}}' \\\n    \
         http://$SECAL_CALCULATION_ADDR/secal.v1.CalculationService/ListReferenceValues"
    );
    println!("  grpcurl -plaintext {intake} list");
    println!(
        "  curl -H \"authorization: Bearer $SECAL_TOKEN\" -H 'content-type: application/json' \\\n    \
         -d @examples/CalculationService/ComputeArrears.json \\\n    \
         http://$SECAL_CALCULATION_HTTP_ADDR/secal.v1.CalculationService/ComputeArrears"
    );
    println!("\nA dossier's whole life, call by call (leaves its data to explore):");
    match std::env::current_exe() {
        Ok(exe) => println!(
            "  {} --dir {} demo",
            shell_word(&exe.display().to_string()),
            shell_word(&dir.display().to_string())
        ),
        Err(_) => println!("  secal-dev demo"),
    }
    println!("\nMint a token for any agent and roles:");
    match std::env::current_exe() {
        Ok(exe) => println!("  {}", token_command(&exe, dir)),
        Err(_) => println!(
            "  secal-dev --dir {} token --subject agent-42 --roles case-officer",
            shell_word(&dir.display().to_string())
        ),
    }
    println!(
        "\nLogs: {}.  Ctrl-C stops everything; the data stays.",
        shell_word(&dir.join("logs").display().to_string())
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_shell_characters_are_quoted() {
        assert_eq!(shell_word("/work/main/.secal"), "/work/main/.secal");
        assert_eq!(shell_word("/tmp/my stack"), "'/tmp/my stack'");
        assert_eq!(shell_word("/tmp/it's"), r"'/tmp/it'\''s'");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word(""), "''");
    }
}
