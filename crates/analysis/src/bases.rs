//! Claims across base models: the same claims checked on the runs of several pretrained bases
//! of the organism (pretraining seeds), so a claim that holds on one base only is seen as such.
//! The report gets one table, every claim × base, with a summary "holds on k of n bases".

use std::path::Path;

use polars::prelude::{Column, DataFrame, ParquetWriter};

use crate::atomic::write_atomic;
use crate::error::{AnalysisError, Result};
use crate::report::{Claim, Verdict};

/// The claims checked on one base model.
#[derive(Debug, Clone)]
pub struct BaseClaims {
    /// The base's name in the report (`seed 0`).
    pub base: String,
    /// Its claims, as the profile's report checks them.
    pub claims: Vec<Claim>,
}

/// One claim on every base: its verdict and our numbers there (`None` where that base's report
/// has no such claim, e.g. its runs are missing).
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimAcrossBases {
    /// The experiment id (`E2`).
    pub experiment: String,
    /// The claim, with its solution and dataset.
    pub claim: String,
    /// The verdict on each base, in the bases' order.
    pub verdicts: Vec<Option<Verdict>>,
    /// What we measured on each base.
    pub ours: Vec<Option<String>>,
}

impl ClaimAcrossBases {
    /// On how many bases the claim is reproduced, and on how many partly.
    pub fn holds_on(&self) -> (usize, usize) {
        let count = |wanted| self.verdicts.iter().filter(|v| **v == Some(wanted)).count();
        (count(Verdict::Reproduced), count(Verdict::Partly))
    }

    /// "holds on k of n bases", with the partial ones after it.
    pub fn summary(&self) -> String {
        let (holds, partly) = self.holds_on();
        let n = self.verdicts.len();
        match partly {
            0 => format!("holds on {holds} of {n} bases"),
            _ => format!("holds on {holds} of {n} bases (partly on {partly} more)"),
        }
    }
}

/// Every claim of any base, in the order of their first appearance, with each base's verdict.
/// Claims are matched by experiment and claim text (which name the solution and dataset).
pub fn across_bases(bases: &[BaseClaims]) -> Vec<ClaimAcrossBases> {
    let mut rows: Vec<ClaimAcrossBases> = Vec::new();
    for (b, base) in bases.iter().enumerate() {
        for claim in &base.claims {
            let index = match rows.iter().position(|r| r.experiment == claim.experiment && r.claim == claim.claim) {
                Some(index) => index,
                None => {
                    rows.push(ClaimAcrossBases {
                        experiment: claim.experiment.clone(),
                        claim: claim.claim.clone(),
                        verdicts: vec![None; bases.len()],
                        ours: vec![None; bases.len()],
                    });
                    rows.len() - 1
                }
            };
            rows[index].verdicts[b] = Some(claim.verdict);
            rows[index].ours[b] = Some(claim.ours.clone());
        }
    }
    rows
}

/// The report: a title, an intro, the claim × base table with each claim's summary, a count of
/// claims by how many bases they hold on, then our numbers on each base.
pub fn render_bases_report(title: &str, intro: &str, bases: &[BaseClaims]) -> String {
    let rows = across_bases(bases);
    let mut out = format!("# {title}\n\n{}\n\n", intro.trim());
    let names: Vec<&str> = bases.iter().map(|b| b.base.as_str()).collect();
    out += &format!("| experiment | claim | {} | across bases |\n", names.join(" | "));
    out += &format!("|---|---|{}---|\n", "---|".repeat(names.len()));
    for row in &rows {
        let verdicts: Vec<String> =
            row.verdicts.iter().map(|v| v.map_or("missing".to_string(), |v| format!("**{v}**"))).collect();
        out += &format!(
            "| {} | {} | {} | {} |\n",
            row.experiment,
            row.claim.replace('|', "\\|"),
            verdicts.join(" | "),
            row.summary()
        );
    }
    let n = bases.len();
    let all = rows.iter().filter(|r| r.holds_on().0 == n).count();
    let none = rows.iter().filter(|r| r.holds_on() == (0, 0)).count();
    out += &format!(
        "\n{} claims: {all} hold on all {n} bases, {} on some but not all, {none} on none (not even partly).\n\n## \
         Our numbers on each base\n",
        rows.len(),
        rows.len() - all - none
    );
    for row in &rows {
        out += &format!("\n**{}: {}**", row.experiment, row.claim);
        for (name, ours) in names.iter().zip(&row.ours) {
            out += &format!(" {name}: {}.", ours.as_deref().unwrap_or("missing"));
        }
        out += "\n";
    }
    out
}

/// Writes the claim × base table as Parquet: one row per claim and base (`experiment`, `claim`,
/// `base`, `verdict`, `ours`), atomically.
///
/// # Errors
/// [`AnalysisError::Parquet`] naming `path`.
pub fn write_claims_by_base(path: &Path, bases: &[BaseClaims]) -> Result<()> {
    let parquet = |source| AnalysisError::Parquet { path: path.to_path_buf(), source };
    let rows: Vec<(&str, &Claim)> =
        bases.iter().flat_map(|b| b.claims.iter().map(move |c| (b.base.as_str(), c))).collect();
    let column = |name: &str, field: &dyn Fn(&(&str, &Claim)) -> String| {
        Column::new(name.into(), rows.iter().map(field).collect::<Vec<_>>())
    };
    let columns = vec![
        column("experiment", &|(_, c)| c.experiment.clone()),
        column("claim", &|(_, c)| c.claim.clone()),
        column("base", &|(b, _)| b.to_string()),
        column("verdict", &|(_, c)| c.verdict.to_string()),
        column("ours", &|(_, c)| c.ours.clone()),
    ];
    let mut frame = DataFrame::new(rows.len(), columns).map_err(parquet)?;
    write_atomic(path, |out| ParquetWriter::new(out).finish(&mut frame).map(drop).map_err(parquet))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(experiment: &str, text: &str, verdict: Verdict) -> Claim {
        Claim {
            experiment: experiment.into(),
            claim: text.into(),
            paper: "p".into(),
            ours: format!("ours {verdict}"),
            details: String::new(),
            verdict,
        }
    }

    fn bases() -> Vec<BaseClaims> {
        let base = |name: &str, claims| BaseClaims { base: name.into(), claims };
        vec![
            base(
                "seed 0",
                vec![claim("E2", "general", Verdict::Reproduced), claim("E4", "narrow", Verdict::Reproduced)],
            ),
            base("seed 1", vec![claim("E2", "general", Verdict::Reproduced), claim("E4", "narrow", Verdict::Partly)]),
            base("seed 2", vec![claim("E4", "narrow", Verdict::NotReproduced)]),
        ]
    }

    #[test]
    fn claims_are_matched_across_bases_and_counted() {
        let rows = across_bases(&bases());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].verdicts, [Some(Verdict::Reproduced), Some(Verdict::Reproduced), None]);
        assert_eq!(rows[0].summary(), "holds on 2 of 3 bases");
        assert_eq!(rows[1].holds_on(), (1, 1));
        assert_eq!(rows[1].summary(), "holds on 1 of 3 bases (partly on 1 more)");
        assert_eq!(rows[1].ours[2].as_deref(), Some("ours not reproduced"));
    }

    #[test]
    fn the_report_has_one_column_per_base_and_a_summary() {
        let report = render_bases_report("t", "intro", &bases());
        assert!(report.contains("| experiment | claim | seed 0 | seed 1 | seed 2 | across bases |"), "{report}");
        assert!(report.contains("| E2 | general | **reproduced** | **reproduced** | missing | holds on 2 of 3 bases |"));
        assert!(report.contains("2 claims: 0 hold on all 3 bases, 2 on some but not all, 0 on none"), "{report}");
        assert!(report.contains("seed 2: ours not reproduced."), "{report}");
    }

    #[test]
    fn the_table_is_written_as_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("claims_by_base.parquet");
        write_claims_by_base(&path, &bases()).unwrap();
        use polars::prelude::{ParquetReader, SerReader};
        let frame = ParquetReader::new(std::fs::File::open(&path).unwrap()).finish().unwrap();
        assert_eq!(frame.height(), 5);
        let names: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
        assert_eq!(names, ["experiment", "claim", "base", "verdict", "ours"]);
    }
}
