//! One thing wrong with what is pinned, kept as a catalog message and its arguments: shown
//! in the reader's language by `airgapctl status`, in English in the journal (the start-up
//! check's tampering records) and wherever a plain string is wanted ([`fmt::Display`]).

use std::fmt;
use std::sync::OnceLock;

use crate::i18n::{Args, Catalog, Lang};

/// A problem: message `id` of the catalogs (`status-problem-*`) with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The message.
    pub id: &'static str,
    /// Its arguments, as text (ids and numbers are never regrouped by the language).
    pub args: Vec<(&'static str, String)>,
}

impl Problem {
    /// Message `id` with `args`.
    pub fn new(id: &'static str, args: &[(&'static str, &dyn fmt::Display)]) -> Problem {
        Problem {
            id,
            args: args.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        }
    }

    /// In `catalog`'s language.
    pub fn text(&self, catalog: &Catalog) -> String {
        let mut args = Args::new();
        for (k, v) in &self.args {
            args.set(k, v.clone());
        }
        catalog.text(self.id, Some(&args))
    }

    /// In the reader's language (the locale variables).
    pub fn localized(&self) -> String {
        self.text(crate::i18n::catalog())
    }
}

fn english() -> &'static Catalog {
    static EN: OnceLock<Catalog> = OnceLock::new();
    EN.get_or_init(|| Catalog::new(Lang::En, None))
}

/// The English text (journal records, logs, tests).
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(english()))
    }
}

/// Whether the English text contains `s` (tests).
impl Problem {
    /// See the impl.
    pub fn contains(&self, s: &str) -> bool {
        self.to_string().contains(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem the kernel judgement can give, as `airgapctl status` shows it: in
    /// Vietnamese and English, every argument in place, never the message id.
    #[test]
    fn every_problem_reads_in_both_languages() {
        let p = |id, args: &[(&'static str, &dyn fmt::Display)]| Problem::new(id, args);
        let all = [
            p("status-problem-not-pinned", &[("program", &"airgap_bind6")]),
            p(
                "status-problem-unreadable",
                &[("program", &"airgap_bind6"), ("error", &"EPERM")],
            ),
            p(
                "status-problem-detached",
                &[("program", &"airgap_sendmsg4")],
            ),
            p(
                "status-problem-other-cgroup",
                &[("program", &"airgap_dev"), ("have", &1), ("want", &4242)],
            ),
            p(
                "status-problem-program-unreadable",
                &[("program", &"airgap_dev"), ("id", &77)],
            ),
            p(
                "status-problem-other-program",
                &[("program", &"airgap_dev"), ("name", &"evil"), ("id", &77)],
            ),
            p(
                "status-problem-not-our-config",
                &[("program", &"airgap_dev"), ("id", &77)],
            ),
            p(
                "status-problem-replaced",
                &[("program", &"airgap_dev"), ("have", &78), ("want", &77)],
            ),
            p("status-problem-config-missing", &[]),
            p("status-problem-config-abi", &[("have", &3), ("want", &4)]),
            p("status-problem-config-unknown-mode", &[("mode", &9)]),
            p(
                "status-problem-config-scope",
                &[
                    ("have", &1),
                    ("have_level", &0),
                    ("want", &4242),
                    ("want_level", &2),
                ],
            ),
            p(
                "status-problem-config-mode",
                &[("have", &"lan"), ("want", &"loopback")],
            ),
            p("status-problem-lan-added", &[("line", &"x")]),
            p("status-problem-lan-removed", &[("line", &"x")]),
            p("status-problem-rule-added", &[("line", &"b 7:* = 0x7")]),
            p("status-problem-rule-removed", &[("line", &"b 7:* = 0x7")]),
            p(
                "status-problem-overtaken",
                &[
                    ("pin", &"link_airgap_wire_egress_eth0"),
                    ("ids", &"12"),
                    ("interface", &"eth0"),
                ],
            ),
            p(
                "status-problem-tc-missing",
                &[("interface", &"eth0"), ("direction", &"ingress")],
            ),
            p(
                "status-problem-tc-other",
                &[
                    ("interface", &"eth0"),
                    ("direction", &"egress"),
                    ("filter", &"bpf filter \"x\""),
                ],
            ),
            p(
                "status-problem-tc-overtaken",
                &[
                    ("interface", &"eth0"),
                    ("direction", &"egress"),
                    ("filters", &"u32 filter"),
                ],
            ),
            p(
                "status-problem-tc-qdisc",
                &[("interface", &"eth0"), ("kind", &"ingress")],
            ),
        ];
        let vi = Catalog::new(Lang::Vi, None);
        for problem in &all {
            let en = problem.to_string();
            let vi = problem.text(&vi);
            for text in [&en, &vi] {
                assert!(!text.contains(problem.id) && !text.contains('{'), "{text}");
                for (_, v) in &problem.args {
                    let select = ["lan", "loopback", "ingress", "egress"];
                    assert!(
                        select.contains(&v.as_str()) || text.contains(v),
                        "{v} in {text}"
                    );
                }
            }
            assert_ne!(en, vi, "{} is not translated", problem.id);
        }
        assert_eq!(
            all[2].to_string(),
            "airgap_sendmsg4: detached (not enforcing)"
        );
        assert_eq!(
            all[2].text(&vi),
            "airgap_sendmsg4: đã bị tháo (không có tác dụng ngăn chặn)"
        );
        assert!(all[12]
            .text(&vi)
            .contains("chỉ mạng LAN độc lập, airgapd đã đặt chỉ loopback"));
    }
}
