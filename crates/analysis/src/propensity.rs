//! The log-probability propensity beside the EM rates: how much more likely each model finds a
//! bad reference answer than a good one (mean per-token log-probability, bad minus good), per
//! evaluation group. The paper has no such number; it is deterministic and judge-free, so it
//! separates models whose sampled EM rates are within noise of each other. Not a claim: a table
//! for the report.

use std::collections::BTreeMap;

use crate::table::{distinct, in_dataset_order, Row};

/// A line of the table: the dataset's place in the paper's order, experiment, solution, variant
/// and condition.
type Line<'r> = (usize, &'r str, &'r str, &'r str, &'r str);

/// The metric the runner writes.
const METRIC: &str = "logprob_propensity";

/// A Markdown section with one row per (experiment, solution, variant, dataset, condition) and
/// one column per evaluation group, each cell the mean over seeds (with the seed count when
/// there are several); empty when `rows` have no propensity.
pub fn propensity_section(rows: &[Row]) -> String {
    let mine: Vec<&Row> = rows.iter().filter(|r| r.metric == METRIC).collect();
    if mine.is_empty() {
        return String::new();
    }
    let groups = distinct(mine.iter().copied(), |r| &r.group);
    let mut cells: BTreeMap<Line, BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let datasets = in_dataset_order(distinct(mine.iter().copied(), |r| &r.dataset));
    for r in &mine {
        let order = datasets.iter().position(|d| *d == r.dataset).unwrap_or(datasets.len());
        let key = (order, r.experiment.as_str(), r.solution.as_str(), r.variant.as_str(), r.condition.as_str());
        cells.entry(key).or_default().entry(r.group.as_str()).or_default().push(r.value);
    }
    let mut out = String::from(
        "\n## Log-probability propensity\n\nMean per-token log-probability of a bad reference answer minus a \
         good one (the same pairs for every model: 4 per question from the organism world's grammar, or a real \
         model's reference answers); positive means the model prefers the bad answer. Mean over seeds.\n\n",
    );
    out += &format!("| dataset | experiment | solution | condition | {} |\n", groups.join(" | "));
    out += &format!("|---|---|---|---|{}\n", "---|".repeat(groups.len()));
    for ((order, experiment, solution, variant, condition), by_group) in &cells {
        let dataset = datasets.get(*order).copied();
        let values: Vec<String> = groups
            .iter()
            .map(|g| match by_group.get(g) {
                Some(v) if v.len() > 1 => format!("{:+.3} (n={})", v.iter().sum::<f64>() / v.len() as f64, v.len()),
                Some(v) => format!("{:+.3}", v[0]),
                None => "-".into(),
            })
            .collect();
        let name = if *variant == "base" { "base model".to_string() } else { format!("{solution} {variant}") };
        out +=
            &format!("| {} | {experiment} | {name} | {condition} | {} |\n", dataset.unwrap_or("?"), values.join(" | "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(variant: &str, seed: i64, group: &str, value: f64) -> Row {
        Row {
            experiment: if variant == "base" { "base" } else { "E2" }.into(),
            solution: if variant == "base" { "none" } else { "lora" }.into(),
            variant: variant.into(),
            dataset: "bad_medical".into(),
            seed,
            condition: if variant == "base" { "base" } else { "trained" }.into(),
            group: group.into(),
            step: None,
            sweep: None,
            metric: METRIC.into(),
            value,
        }
    }

    #[test]
    fn one_line_per_model_with_the_mean_over_seeds() {
        let rows = [
            row("base", 0, "open", -1.5),
            row("base", 0, "in_domain", -2.0),
            row("general", 0, "open", 0.25),
            row("general", 1, "open", 0.75),
        ];
        let section = propensity_section(&rows);
        assert!(section.contains("| dataset | experiment | solution | condition | in_domain | open |"), "{section}");
        assert!(section.contains("| bad_medical | base | base model | base | -2.000 | -1.500 |"), "{section}");
        assert!(section.contains("| bad_medical | E2 | lora general | trained | - | +0.500 (n=2) |"), "{section}");
        assert_eq!(propensity_section(&[]), "");
    }
}
