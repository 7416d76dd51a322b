//! `airgapd-gen OUTDIR`: man pages (`man1/airgapctl.1`, `man1/airgapd-notify.1`,
//! `man8/airgapd.8`) and bash, zsh and fish completions for the binaries, generated from the same clap definitions the binaries parse,
//! so the documentation cannot drift from the options.

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
        std::fs::write(dir.join(format!("{name}.{section}")), page)?;
        for (shell, sub) in [
            (Shell::Bash, "bash"),
            (Shell::Zsh, "zsh"),
            (Shell::Fish, "fish"),
        ] {
            let dir = out.join("completions").join(sub);
            std::fs::create_dir_all(&dir)?;
            clap_complete::generate_to(shell, &mut cmd.clone(), &name, &dir)
                .with_context(|| format!("{sub} completion for {name}"))?;
        }
    }
    Ok(())
}
