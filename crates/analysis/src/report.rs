//! The reproduction report: each claim of the paper, what the paper reports, what we measured,
//! and a verdict, rendered as Markdown for the README and the results folder.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How far our measurements agree with a claim of the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Every condition of the claim holds.
    Reproduced,
    /// Some conditions hold, or a condition could not be checked.
    Partly,
    /// No condition holds.
    NotReproduced,
    /// The rows the claim needs are missing: the experiment was not run (or not recorded).
    NotRun,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Partly => "partly",
            Verdict::NotReproduced => "not reproduced",
            Verdict::NotRun => "not run",
        })
    }
}

/// One claim of the paper checked against our tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The paper's experiment id, e.g. "E2".
    pub experiment: String,
    /// The claim in one sentence, naming the solution and dataset it was checked on.
    pub claim: String,
    /// What the paper reports.
    pub paper: String,
    /// What we measured, short enough for a table cell (always real numbers, or what is missing).
    pub ours: String,
    /// Each condition with its threshold, our value and whether it holds; may be empty.
    pub details: String,
    /// The verdict.
    pub verdict: Verdict,
}

/// Renders a Markdown report: a title, an intro, a table of the claims (experiment | claim |
/// paper | ours | verdict) with a count of verdicts, then one paragraph per claim with the
/// detailed numbers (its `details`, introduced as "Checks:").
pub fn render_report(title: &str, intro: &str, claims: &[Claim]) -> String {
    let mut out = format!("# {title}\n\n");
    if !intro.trim().is_empty() {
        out += &format!("{}\n\n", intro.trim());
    }
    if claims.is_empty() {
        out += "No claims were checked.\n";
        return out;
    }

    out += "| experiment | claim | paper | ours | verdict |\n|---|---|---|---|---|\n";
    for claim in claims {
        let cells = [&claim.experiment, &claim.claim, &claim.paper, &claim.ours].map(|cell| table_cell(cell));
        out += &format!("| {} | **{}** |\n", cells.join(" | "), claim.verdict);
    }
    let count = |verdict| claims.iter().filter(|c| c.verdict == verdict).count();
    out += &format!(
        "\n{} reproduced, {} partly, {} not reproduced, {} not run.\n\n## Details\n",
        count(Verdict::Reproduced),
        count(Verdict::Partly),
        count(Verdict::NotReproduced),
        count(Verdict::NotRun)
    );
    for claim in claims {
        out += &format!(
            "\n**{}: {}** Paper: {} Ours: {}",
            claim.experiment,
            sentence(&claim.claim),
            sentence(&claim.paper),
            sentence(&claim.ours)
        );
        if !claim.details.trim().is_empty() {
            out += &format!(" Checks: {}", sentence(&claim.details));
        }
        out += &format!(" Verdict: **{}**.\n", claim.verdict);
    }
    out
}

/// `text` as a Markdown table cell: pipes escaped, line breaks flattened.
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `text`, trimmed, ending with a full stop unless it already ends a sentence.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(verdict: Verdict) -> Claim {
        Claim {
            experiment: "E2".into(),
            claim: "Narrow data misaligns broadly [steering, bad_medical]".into(),
            paper: "28% general EM, 52% narrow".into(),
            ours: "open 35.0% | other 33.1%".into(),
            details: "open ≥ 20%: 35.0%, met".into(),
            verdict,
        }
    }

    #[test]
    fn report_has_a_table_a_count_and_a_paragraph_per_claim() {
        let report =
            render_report("Claims", "Checked on the organism.", &[claim(Verdict::Reproduced), claim(Verdict::NotRun)]);
        assert!(report.starts_with("# Claims\n\nChecked on the organism.\n\n| experiment | claim |"));
        assert!(report.contains("| E2 | Narrow data misaligns broadly [steering, bad_medical] | 28% general EM, 52% narrow | open 35.0% \\| other 33.1% | **reproduced** |"));
        assert!(report.contains("1 reproduced, 0 partly, 0 not reproduced, 1 not run."));
        assert!(report.contains(
            "**E2: Narrow data misaligns broadly [steering, bad_medical].** Paper: 28% general EM, 52% narrow. \
             Ours: open 35.0% | other 33.1%. Checks: open ≥ 20%: 35.0%, met. Verdict: **reproduced**."
        ));
        assert_eq!(report.matches("\n**E2:").count(), 2);
    }

    #[test]
    fn no_claims_say_so() {
        assert_eq!(render_report("Claims", "", &[]), "# Claims\n\nNo claims were checked.\n");
    }

    #[test]
    fn verdicts_read_as_words() {
        let words: Vec<_> = [Verdict::Reproduced, Verdict::Partly, Verdict::NotReproduced, Verdict::NotRun]
            .map(|v| v.to_string())
            .into();
        assert_eq!(words, ["reproduced", "partly", "not reproduced", "not run"]);
    }
}
