//! Selecting rows and summarising one metric over seeds: the few operations that figures and
//! claims share, kept on plain slices because the tables are small (thousands of rows).

use std::collections::BTreeSet;

use super::Row;

/// Which rows to keep: every `Some` field must equal the row's column; `None` matches anything.
///
/// ```
/// use emlab_analysis::Filter;
/// let open_em = Filter { group: Some("open"), metric: Some("em_pct"), ..Filter::default() };
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter<'a> {
    /// [`Row::experiment`].
    pub experiment: Option<&'a str>,
    /// [`Row::solution`].
    pub solution: Option<&'a str>,
    /// [`Row::variant`].
    pub variant: Option<&'a str>,
    /// [`Row::dataset`].
    pub dataset: Option<&'a str>,
    /// [`Row::condition`].
    pub condition: Option<&'a str>,
    /// [`Row::group`].
    pub group: Option<&'a str>,
    /// [`Row::metric`].
    pub metric: Option<&'a str>,
}

impl Filter<'_> {
    /// Whether `row` passes the filter.
    pub fn matches(&self, row: &Row) -> bool {
        let field = |want: Option<&str>, have: &str| want.is_none_or(|want| want == have);
        field(self.experiment, &row.experiment)
            && field(self.solution, &row.solution)
            && field(self.variant, &row.variant)
            && field(self.dataset, &row.dataset)
            && field(self.condition, &row.condition)
            && field(self.group, &row.group)
            && field(self.metric, &row.metric)
    }

    /// The rows of `rows` that pass the filter, in table order.
    pub fn select<'r>(&self, rows: &'r [Row]) -> Vec<&'r Row> {
        rows.iter().filter(|row| self.matches(row)).collect()
    }
}

/// The distinct values of one column, sorted, e.g. `distinct(&rows, |r| &r.dataset)`.
pub fn distinct<'r>(rows: impl IntoIterator<Item = &'r Row>, column: impl Fn(&'r Row) -> &'r str) -> Vec<&'r str> {
    rows.into_iter().map(column).collect::<BTreeSet<_>>().into_iter().collect()
}

/// The datasets in the paper's order (medical first, as in its figures and tables).
const DATASET_ORDER: [&str; 3] = ["bad_medical", "bad_finance", "bad_sports"];

/// `datasets` with the known ones first in the paper's order, then the rest in their given order.
pub(crate) fn in_dataset_order(mut datasets: Vec<&str>) -> Vec<&str> {
    datasets.sort_by_key(|d| DATASET_ORDER.iter().position(|known| known == d).unwrap_or(DATASET_ORDER.len()));
    datasets
}

/// The (dataset, group) pairs of `solution` in `rows`, datasets in the paper's order and groups
/// sorted, and whether there are several groups (then a figure or claim must name its group,
/// as for the parameter groups of a gradient measurement).
pub(crate) fn dataset_groups<'r>(rows: &[&'r Row], solution: &str) -> (Vec<(&'r str, &'r str)>, bool) {
    let mine: Vec<&Row> = rows.iter().copied().filter(|r| r.solution == solution).collect();
    let several = distinct(mine.iter().copied(), |r| &r.group).len() > 1;
    let pairs = in_dataset_order(distinct(mine.iter().copied(), |r| &r.dataset))
        .into_iter()
        .flat_map(|dataset| {
            distinct(mine.iter().copied().filter(|r| r.dataset == dataset), |r| &r.group)
                .into_iter()
                .map(move |group| (dataset, group))
        })
        .collect();
    (pairs, several)
}

/// The name of one finetune, `"{solution}-{variant} {dataset} seed{seed}"` (e.g. `lora-general
/// bad_medical seed0`): how a row names a finetune *other* than its own key, as the C5 cosine
/// rows do in their condition column. The runner writes it and the analysis parses it back
/// (`Finetune::parse`), so both sides use this one function.
///
/// ```
/// assert_eq!(emlab_analysis::finetune_label("lora", "general", "bad_medical", 0), "lora-general bad_medical seed0");
/// ```
pub fn finetune_label(solution: &str, variant: &str, dataset: &str, seed: i64) -> String {
    format!("{solution}-{variant} {dataset} seed{seed}")
}

/// The key of one finetune in a row: (solution, variant, dataset, seed). Ordered as the figures
/// and claims list finetunes: steering first, general before narrow, datasets in the paper's
/// order, then by seed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Finetune {
    pub solution: String,
    pub variant: String,
    pub dataset: String,
    pub seed: i64,
}

impl Finetune {
    /// The finetune a row belongs to.
    pub(crate) fn of(row: &Row) -> Self {
        Self {
            solution: row.solution.clone(),
            variant: row.variant.clone(),
            dataset: row.dataset.clone(),
            seed: row.seed,
        }
    }

    /// The finetune named by a [`finetune_label`], or `None` for any other text.
    pub(crate) fn parse(label: &str) -> Option<Self> {
        let mut words = label.split(' ');
        let (kind, dataset, seed) = (words.next()?, words.next()?, words.next()?);
        let (solution, variant) = kind.rsplit_once('-')?;
        let seed = seed.strip_prefix("seed")?.parse().ok()?;
        (words.next().is_none() && !solution.is_empty() && !variant.is_empty() && !dataset.is_empty()).then(|| Self {
            solution: solution.into(),
            variant: variant.into(),
            dataset: dataset.into(),
            seed,
        })
    }

    /// Its [`finetune_label`].
    pub(crate) fn label(&self) -> String {
        finetune_label(&self.solution, &self.variant, &self.dataset, self.seed)
    }

    /// Whether `row` is keyed by this finetune.
    pub(crate) fn owns(&self, row: &Row) -> bool {
        row.solution == self.solution
            && row.variant == self.variant
            && row.dataset == self.dataset
            && row.seed == self.seed
    }

    /// The sort key behind the order documented on the type.
    fn order(&self) -> (bool, bool, usize, &str, i64) {
        let dataset = DATASET_ORDER.iter().position(|d| *d == self.dataset).unwrap_or(DATASET_ORDER.len());
        (self.solution != "steering", self.variant != "general", dataset, &self.dataset, self.seed)
    }
}

impl PartialOrd for Finetune {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Finetune {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order()
            .cmp(&other.order())
            .then_with(|| self.solution.cmp(&other.solution))
            .then_with(|| self.variant.cmp(&other.variant))
    }
}

/// The distinct finetunes keying `rows`, in [`Finetune`]'s order.
pub(crate) fn finetunes<'r>(rows: impl IntoIterator<Item = &'r Row>) -> Vec<Finetune> {
    rows.into_iter().map(Finetune::of).collect::<BTreeSet<_>>().into_iter().collect()
}

/// The metrics that hold one evaluation group's misalignment rate and the 95% bootstrap
/// interval recorded with each seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EmMetrics {
    /// The rate (%).
    pub rate: &'static str,
    /// The interval's lower end.
    pub ci_lo: &'static str,
    /// The interval's upper end.
    pub ci_hi: &'static str,
}

/// The misalignment rate of `group` as the paper defines it: on held-out questions of the
/// training domain ("in_domain", "in_domain_new") the *narrow* rate, EM whose answer is about the
/// question's own domain, because an answer that drifts to another domain is general, not
/// narrow, misalignment; on every other group ("open", "other", "kl") plain EM.
pub(crate) fn em_metrics(group: &str) -> EmMetrics {
    match group {
        "in_domain" | "in_domain_new" => {
            EmMetrics { rate: "em_in_domain_pct", ci_lo: "em_in_domain_ci_lo", ci_hi: "em_in_domain_ci_hi" }
        }
        _ => EmMetrics { rate: "em_pct", ci_lo: "em_ci_lo", ci_hi: "em_ci_hi" },
    }
}

/// Whether `row` holds its group's misalignment rate ([`em_metrics`]).
pub(crate) fn is_em_rate(row: &Row) -> bool {
    row.metric == em_metrics(&row.group).rate
}

/// One metric's values across seeds, sorted by seed: the unit in which the paper reports
/// results (mean over seeds, spread as a standard deviation).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedValues {
    values: Vec<(i64, f64)>,
}

impl SeedValues {
    /// The `(seed, value)` pairs of `rows`, or `None` when there are none, so that a missing
    /// measurement can never be summarised as a number. A seed that appears twice (a rerun
    /// appended to the table) counts twice.
    pub fn from_rows<'r>(rows: impl IntoIterator<Item = &'r Row>) -> Option<Self> {
        let mut values: Vec<_> = rows.into_iter().map(|row| (row.seed, row.value)).collect();
        values.sort_by_key(|&(seed, _)| seed);
        (!values.is_empty()).then_some(Self { values })
    }

    /// The `(seed, value)` pairs, sorted by seed.
    pub fn values(&self) -> &[(i64, f64)] {
        &self.values
    }

    /// How many values there are (at least one).
    pub fn count(&self) -> usize {
        self.values.len()
    }

    /// The mean over seeds.
    pub fn mean(&self) -> f64 {
        self.values.iter().map(|&(_, v)| v).sum::<f64>() / self.values.len() as f64
    }

    /// The sample standard deviation over seeds (n - 1 in the denominator), or `None` for a
    /// single seed, where it is undefined rather than zero.
    pub fn sd(&self) -> Option<f64> {
        let n = self.values.len();
        (n >= 2).then(|| {
            let mean = self.mean();
            let squares: f64 = self.values.iter().map(|&(_, v)| (v - mean).powi(2)).sum();
            (squares / (n - 1) as f64).sqrt()
        })
    }

    /// The largest value over seeds.
    pub fn max(&self) -> f64 {
        self.values.iter().map(|&(_, v)| v).fold(f64::NEG_INFINITY, f64::max)
    }

    /// The smallest value over seeds.
    pub fn min(&self) -> f64 {
        self.values.iter().map(|&(_, v)| v).fold(f64::INFINITY, f64::min)
    }
}

/// The points of a sweep: the rows grouped by their [`Row::sweep`] value (equal to 1e-9), each
/// summarised over seeds, sorted by the swept value. Rows without a sweep value are skipped.
pub(crate) fn by_sweep<'r>(rows: impl IntoIterator<Item = &'r Row>) -> Vec<(f64, SeedValues)> {
    grouped(rows, |row| row.sweep)
}

/// The points of a training curve: the rows grouped by their [`Row::step`], each summarised
/// over seeds, sorted by step (as `f64`, the x of a figure). Rows without a step are skipped.
pub(crate) fn by_step<'r>(rows: impl IntoIterator<Item = &'r Row>) -> Vec<(f64, SeedValues)> {
    grouped(rows, |row| row.step.map(|step| step as f64))
}

/// The rows grouped by `key` (values equal to 1e-9 are one group), each summarised over seeds,
/// sorted by key; rows without a key are skipped.
fn grouped<'r>(rows: impl IntoIterator<Item = &'r Row>, key: impl Fn(&Row) -> Option<f64>) -> Vec<(f64, SeedValues)> {
    let mut groups: Vec<(f64, Vec<&Row>)> = vec![];
    for row in rows {
        let Some(x) = key(row) else { continue };
        match groups.iter_mut().find(|(at, _)| (at - x).abs() <= 1e-9) {
            Some((_, members)) => members.push(row),
            None => groups.push((x, vec![row])),
        }
    }
    groups.sort_by(|a, b| a.0.total_cmp(&b.0));
    groups.into_iter().filter_map(|(x, members)| SeedValues::from_rows(members).map(|v| (x, v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::test_support::row;

    fn rows() -> Vec<Row> {
        vec![
            row("E2", "steering", "general", "bad_medical", 2, "trained", "open", "em_pct", 30.0),
            row("E2", "steering", "general", "bad_medical", 0, "trained", "open", "em_pct", 20.0),
            row("E2", "steering", "general", "bad_finance", 1, "trained", "open", "em_pct", 40.0),
            row("E2", "steering", "general", "bad_medical", 1, "trained", "other", "em_pct", 10.0),
        ]
    }

    #[test]
    fn filter_matches_only_the_given_columns() {
        let rows = rows();
        let medical_open = Filter { dataset: Some("bad_medical"), group: Some("open"), ..Filter::default() };
        let seeds: Vec<_> = medical_open.select(&rows).iter().map(|r| r.seed).collect();
        assert_eq!(seeds, [2, 0]);
        assert_eq!(Filter::default().select(&rows).len(), 4);
        assert!(Filter { experiment: Some("E4"), ..Filter::default() }.select(&rows).is_empty());
    }

    #[test]
    fn finetune_labels_round_trip_and_finetunes_sort_in_the_papers_order() {
        let lora =
            Finetune { solution: "lora".into(), variant: "narrow".into(), dataset: "bad_sports".into(), seed: 3 };
        assert_eq!(lora.label(), "lora-narrow bad_sports seed3");
        assert_eq!(Finetune::parse(&lora.label()), Some(lora.clone()));
        for bad in ["lora-narrow bad_sports", "lora bad_sports seed1", "lora-narrow bad_sports seedx", "a-b c seed1 d"]
        {
            assert_eq!(Finetune::parse(bad), None, "{bad}");
        }
        let rows = rows();
        let names: Vec<String> = finetunes(&rows).iter().map(Finetune::label).collect();
        assert_eq!(
            names,
            [
                "steering-general bad_medical seed0",
                "steering-general bad_medical seed1",
                "steering-general bad_medical seed2",
                "steering-general bad_finance seed1",
            ]
        );
        let steering = Finetune::of(&rows[0]);
        assert!(steering < lora && steering.owns(&rows[0]) && !steering.owns(&rows[1]));
    }

    #[test]
    fn distinct_is_sorted_and_unique() {
        assert_eq!(distinct(&rows(), |r| &r.dataset), ["bad_finance", "bad_medical"]);
    }

    #[test]
    fn known_datasets_come_first_in_the_papers_order() {
        assert_eq!(
            in_dataset_order(vec!["bad_sports", "zoo", "bad_medical", "bad_finance"]),
            ["bad_medical", "bad_finance", "bad_sports", "zoo"]
        );
    }

    #[test]
    fn dataset_groups_in_the_papers_order() {
        let mut rows = rows();
        rows.push(row("E11", "lora", "general", "bad_finance", 0, "gradient", "lora_b", "cos_general", 0.1));
        let all: Vec<&Row> = rows.iter().collect();
        let (pairs, several) = dataset_groups(&all, "steering");
        assert_eq!(pairs, [("bad_medical", "open"), ("bad_medical", "other"), ("bad_finance", "open")]);
        assert!(several);
        assert_eq!(dataset_groups(&all, "lora"), (vec![("bad_finance", "lora_b")], false));
        assert_eq!(dataset_groups(&all, "none"), (vec![], false));
    }

    #[test]
    fn the_training_domain_is_scored_by_the_narrow_rate() {
        for group in ["in_domain", "in_domain_new"] {
            assert_eq!(em_metrics(group).rate, "em_in_domain_pct");
            assert_eq!(
                (em_metrics(group).ci_lo, em_metrics(group).ci_hi),
                ("em_in_domain_ci_lo", "em_in_domain_ci_hi")
            );
        }
        for group in ["open", "other", "kl"] {
            assert_eq!(em_metrics(group), EmMetrics { rate: "em_pct", ci_lo: "em_ci_lo", ci_hi: "em_ci_hi" });
        }
        let in_domain = |metric| row("E4", "lora", "narrow", "bad_medical", 0, "trained", "in_domain", metric, 1.0);
        assert!(is_em_rate(&in_domain("em_in_domain_pct")) && !is_em_rate(&in_domain("em_pct")));
        assert!(is_em_rate(&rows()[0]));
    }

    #[test]
    fn seed_values_summaries() {
        let rows = rows();
        let open = Filter { dataset: Some("bad_medical"), group: Some("open"), ..Filter::default() };
        let values = SeedValues::from_rows(open.select(&rows)).unwrap();
        assert_eq!(values.values(), [(0, 20.0), (2, 30.0)]);
        assert_eq!(values.mean(), 25.0);
        // Sample sd of {20, 30}: sqrt(((-5)^2 + 5^2) / 1) = sqrt(50).
        assert!((values.sd().unwrap() - 50f64.sqrt()).abs() < 1e-12);
        assert_eq!((values.min(), values.max()), (20.0, 30.0));
    }

    #[test]
    fn one_seed_has_no_sd_and_no_rows_have_no_summary() {
        let rows = rows();
        let finance = Filter { dataset: Some("bad_finance"), ..Filter::default() };
        assert_eq!(SeedValues::from_rows(finance.select(&rows)).unwrap().sd(), None);
        assert_eq!(SeedValues::from_rows(&[]), None);
    }

    #[test]
    fn sweeps_group_by_value_and_sort() {
        let at = |sweep: f64, seed: i64, value: f64| {
            let mut r = row("E7", "steering", "general", "bad_medical", seed, "perturbed", "loss_subset", "m", value);
            r.sweep = Some(sweep);
            r
        };
        let mut rows = vec![at(0.4, 0, 2.0), at(0.1, 0, 1.0), at(0.4 + 1e-12, 1, 4.0)];
        rows.push(row("E7", "steering", "general", "bad_medical", 0, "perturbed", "loss_subset", "m", 9.0));
        let points = by_sweep(&rows);
        assert_eq!(points.len(), 2, "the row without a sweep value is skipped");
        assert_eq!((points[0].0, points[0].1.mean()), (0.1, 1.0));
        assert_eq!((points[1].0, points[1].1.mean(), points[1].1.count()), (0.4, 3.0, 2));
        assert!(by_sweep(&[]).is_empty());
    }

    #[test]
    fn steps_group_by_step_and_sort() {
        let at = |step: Option<i64>, seed: i64, value: f64| {
            let mut r = row("E11", "lora", "general", "bad_medical", seed, "gradient", "lora_b", "cos_general", value);
            r.step = step;
            r
        };
        let rows = [at(Some(20), 0, 1.0), at(Some(0), 0, 5.0), at(Some(20), 1, 3.0), at(None, 0, 9.0)];
        let points = by_step(&rows);
        assert_eq!(points.len(), 2, "the row without a step is skipped");
        assert_eq!((points[0].0, points[0].1.mean()), (0.0, 5.0));
        assert_eq!((points[1].0, points[1].1.mean(), points[1].1.count()), (20.0, 2.0, 2));
    }
}
