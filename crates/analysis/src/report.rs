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
    /// The claim cannot be tested on this model, for the reason its `ours` gives (the organism's
    /// world lacks what it is about).
    NotApplicable,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Reproduced => "reproduced",
            Verdict::Partly => "partly",
            Verdict::NotReproduced => "not reproduced",
            Verdict::NotRun => "not run",
            Verdict::NotApplicable => "not applicable",
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
    let not_applicable = match count(Verdict::NotApplicable) {
        0 => String::new(),
        n => format!(", {n} not applicable"),
    };
    out += &format!(
        "\n{} reproduced, {} partly, {} not reproduced, {} not run{not_applicable}.\n\n## Details\n",
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

/// CL's experiments (paper-spec §5) and the report's ids that check each: CL's C2 (steering
/// with the mean-diff direction) is our E1, the others keep their ids.
const CL_EXPERIMENTS: [(&str, &str, &str); 10] = [
    ("C1", "C1", "the minimal organism: rank-1 adapters on several layers"),
    ("C2", "E1", "steering with the mean-diff direction"),
    ("C3", "C3", "semantic directions"),
    ("C4", "C4", "ablating the direction"),
    ("C5", "C5", "convergence of directions across finetunes"),
    ("C6", "C6", "the rank-1 adapter's vector against the direction"),
    ("C7", "C7", "self-correction"),
    ("C8", "C8", "probing the per-token LoRA scalars"),
    ("C9", "C9", "steering by scaling adapters"),
    ("C10", "C10", "patching the LoRA scalars"),
];

/// A Markdown section listing every CL experiment with the verdicts of the claims that check it,
/// so that one missing from the report shows as such rather than by its absence.
pub fn cl_section(claims: &[Claim]) -> String {
    let mut out = String::from(
        "\n## The linear-representations paper (CL), experiment by experiment\n\n| CL | what | claims here | verdicts |\n|---|---|---|---|\n",
    );
    for (cl, ours, what) in CL_EXPERIMENTS {
        let verdicts: Vec<String> =
            claims.iter().filter(|c| c.experiment == ours).map(|c| c.verdict.to_string()).collect();
        let listed =
            if verdicts.is_empty() { "none: not run in this profile".to_string() } else { verdicts.join(", ") };
        out += &format!("| {cl} | {what} | {ours} ({}) | {listed} |\n", verdicts.len());
    }
    out
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
    fn the_cl_section_lists_every_experiment() {
        let mut c2 = claim(Verdict::Partly);
        c2.experiment = "E1".into();
        let section = cl_section(&[c2, claim(Verdict::Reproduced)]);
        assert_eq!(section.lines().filter(|l| l.starts_with("| C")).count(), 11, "header and C1-C10: {section}");
        assert!(section.contains("| C2 | steering with the mean-diff direction | E1 (1) | partly |"), "{section}");
        assert!(section.contains("| C10 | patching the LoRA scalars | C10 (0) | none: not run in this profile |"));
    }

    #[test]
    fn verdicts_read_as_words() {
        let words: Vec<_> =
            [Verdict::Reproduced, Verdict::Partly, Verdict::NotReproduced, Verdict::NotRun, Verdict::NotApplicable]
                .map(|v| v.to_string())
                .into();
        assert_eq!(words, ["reproduced", "partly", "not reproduced", "not run", "not applicable"]);
    }
}
