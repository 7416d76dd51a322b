//! `airgapd-gen OUTDIR`: man pages (`man1/airgapctl.1`, `man1/airgapd-notify.1`,
//! `man8/airgapd.8`, and one page per subcommand: `man1/airgapctl-policy-apply.1`, ...) and
//! bash, zsh and fish completions for the binaries, generated from the same clap definitions
//! the binaries parse, so the documentation cannot drift from the options. The hand-written
//! sections clap cannot know (EXIT STATUS, EXAMPLES, FILES, SEE ALSO) are appended from
//! `packaging/man/<name>.extra.<section>`.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

fn main() -> Result<()> {
    let out = std::env::args()
        .nth(1)
        .context("usage: airgapd-gen OUTDIR")?;
    let out = Path::new(&out);
    for (cmd, section) in [
        (airgapd::cli::Cli::command(), "8"),
        (airgapd::ctl::Cli::command(), "1"),
        (airgapd::notify::Args::command(), "1"),
    ] {
        let name = cmd.get_name().to_string();
        let dir = out.join(format!("man{section}"));
        std::fs::create_dir_all(&dir)?;
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .section(section)
            .render(&mut page)?;
        page.extend_from_slice(extra(&name).as_bytes());
        std::fs::write(dir.join(format!("{name}.{section}")), page)?;
        subcommand_pages(&cmd, &name, section, &dir)?;
        for (shell, sub) in [
            (Shell::Bash, "bash"),
            (Shell::Zsh, "zsh"),
            (Shell::Fish, "fish"),
        ] {
            let dir = out.join("completions").join(sub);
            std::fs::create_dir_all(&dir)?;
            let file = clap_complete::generate_to(shell, &mut cmd.clone(), &name, &dir)
                .with_context(|| format!("{sub} completion for {name}"))?;
            if name == "airgapctl" {
                media_names(shell, &file)?;
            }
        }
    }
    Ok(())
}

/// `airgapctl register --medium` completes with the names of the installed policy's media,
/// which clap's static scripts cannot know: each script gets a function that asks
/// `airgapctl media list --names`.
fn media_names(shell: Shell, file: &Path) -> Result<()> {
    let mut text = std::fs::read_to_string(file)?;
    match shell {
        Shell::Bash => text.push_str(include_str!("completions/airgapctl.bash")),
        Shell::Fish => text.push_str(include_str!("completions/airgapctl.fish")),
        Shell::Zsh => {
            let from = ":NAME:_default'";
            let line = text
                .lines()
                .find(|l| l.starts_with("'--medium=") && l.contains(from))
                .context("zsh completion: no --medium option to complete")?
                .to_string();
            text = text.replace(&line, &line.replace(from, ":NAME:_airgapctl_media_names'"));
            // The functions must be defined before the script's last line calls _airgapctl.
            let at = text
                .rfind("\nif [ \"$funcstack[1]\" = \"_airgapctl\" ]")
                .context("zsh completion: no entry point")?;
            text.insert_str(at, include_str!("completions/airgapctl.zsh"));
        }
        _ => {}
    }
    std::fs::write(file, text)?;
    Ok(())
}

/// The hand-written sections of a top-level page.
fn extra(name: &str) -> &'static str {
    match name {
        "airgapctl" => include_str!("../../man/airgapctl.extra.1"),
        "airgapd" => include_str!("../../man/airgapd.extra.8"),
        _ => "",
    }
}

/// `PREFIX-SUB.SECTION` for every subcommand of `cmd`, recursively, each pointing back to the
/// top-level page (which has the exit status and examples).
fn subcommand_pages(cmd: &clap::Command, prefix: &str, section: &str, dir: &Path) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{prefix}-{}", sub.get_name());
        let top = prefix.split('-').next().unwrap_or(prefix);
        // A generator that runs once: leaking the names is simpler than enabling clap's `string`.
        let leaked: &'static str = Box::leak(name.clone().into_boxed_str());
        let sub = sub.clone().name(leaked).after_long_help(format!(
            "Exit status, examples and files: {top}({section})."
        ));
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone())
            .section(section)
            .render(&mut page)?;
        std::fs::write(dir.join(format!("{name}.{section}")), page)?;
        subcommand_pages(&sub, &name, section, dir)?;
    }
    Ok(())
}
