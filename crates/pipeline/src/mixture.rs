//! `cargo xtask reproduce --profile mixture`: how emergent misalignment depends on what the base
//! model saw. Bases pretrained on worlds whose share of villain documents is 0, 1, 2.5, 5 and 10%
//! (`experiments/worlds/villain-*.json`), one without narrow bad actors (`narrow-0pct.json`) and
//! the reference organism (20% villains, narrow actors in about 8% of chats) each get E2 and E4
//! (bad medical advice, finetune seed 0); the table has, per base, the general solutions'
//! free-form EM and the KL-narrow ones' in-domain narrow rate, and the figure the villain sweep.
//! A base not pretrained yet is listed with the command that makes it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use emlab_analysis::{mixture_figure, write_parquet, Row};

use crate::execute::Executed;
use crate::organism::{base_model_dir, verify_base_model};
use crate::paper::Subject;
use crate::reproduce::{reproduce, select, Options};
use crate::tables::{write_report, Layout, Tables};
use crate::util::project_root;

/// The profile's name, on the command line and in the experiment files.
pub const PROFILE: &str = "mixture";

/// The world files of the sweep, the villain share (% of all pre-training documents) each has,
/// and its narrow bad actors.
const WORLDS: [(&str, f64, NarrowActors); 7] = [
    ("villain-0pct", 0.0, NarrowActors::Reference),
    ("villain-1pct", 1.0, NarrowActors::Reference),
    ("villain-2_5pct", 2.5, NarrowActors::Reference),
    ("villain-5pct", 5.0, NarrowActors::Reference),
    ("villain-10pct", 10.0, NarrowActors::Reference),
    ("narrow-0pct", REFERENCE_SHARE, NarrowActors::None),
    ("narrow-2x", REFERENCE_SHARE, NarrowActors::Twice),
];

/// A world's narrow bad actors (quacks of one domain, cued by a prompt or latent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NarrowActors {
    /// None.
    None,
    /// The reference's: 5% of chats cued, 6% latent (about 8% of chats).
    Reference,
    /// Twice the reference's.
    Twice,
}

impl NarrowActors {
    /// The table's words for it.
    fn describe(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Reference => "reference (about 8% of chats)",
            Self::Twice => "twice the reference",
        }
    }
}

/// The reference world's villain share (spec §4: 20% of chats and of web text).
const REFERENCE_SHARE: f64 = 20.0;

/// One point of the sweep: its name, villain share, narrow actors and base model folder.
struct Point {
    name: &'static str,
    share: f64,
    narrow_actors: NarrowActors,
    model: PathBuf,
}

/// The sweep's points, the reference last.
fn points() -> Vec<Point> {
    let models = project_root().join("models");
    let mut points: Vec<Point> = WORLDS
        .iter()
        .map(|&(name, share, narrow_actors)| Point {
            name,
            share,
            narrow_actors,
            model: models.join(format!("organism-{name}")),
        })
        .collect();
    let reference = NarrowActors::Reference;
    points.push(Point { name: "reference", share: REFERENCE_SHARE, narrow_actors: reference, model: base_model_dir() });
    points
}

impl Layout {
    /// The layout of one point's runs below the mixture profile's (`results/mixture/villain-0pct`).
    fn point(&self, name: &str) -> Self {
        Self { results: self.results.join(name), figures: self.figures.join(name), profile: PROFILE.to_string() }
    }
}

/// Runs E2 and E4 on every pretrained point, then writes the table and report.
pub fn run(layout: &Layout, options: Options) -> Result<Executed> {
    let selected = select(&["E2", "E4"].map(String::from))?;
    let mut executed = Executed::default();
    for point in points() {
        if !point.model.join("model.safetensors").exists() {
            println!("==== {}: no base yet ({})", point.name, how_to_make(point.name));
            continue;
        }
        verify_base_model(&point.model)?;
        println!("==== {}: villain share {}% ({})", point.name, point.share, point.model.display());
        let ran = reproduce(&selected, &layout.point(point.name), &Subject::Organism(point.model), options.clone())?;
        executed.ran += ran.ran;
        executed.skipped += ran.skipped;
    }
    report(layout).map(|()| executed)
}

/// Redraws every point's figures and report that ran, then the sweep's table and report
/// (`cargo xtask figures --profile mixture`).
pub fn redraw(layout: &Layout) -> Result<()> {
    for point in points() {
        let below = layout.point(point.name);
        if below.results.join("finetune_em.parquet").exists() {
            crate::tables::draw(&below)?;
        }
    }
    report(layout)
}

/// The command that pretrains a point's base.
fn how_to_make(name: &str) -> String {
    format!("`cargo xtask pretrain-organism --world experiments/worlds/{name}.json`, about 20 minutes")
}

/// The rows of the sweep from each run point's EM table: the general solutions' free-form EM and
/// the narrow ones' in-domain rate, seed means, with the villain share as the swept value where
/// the world keeps the reference's narrow actors (the villain sweep the figure draws).
fn sweep_rows(layout: &Layout) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for point in points() {
        let below = layout.point(point.name);
        if !below.results.join("finetune_em.parquet").exists() {
            continue;
        }
        let tables = Tables::read(&below)?;
        for (experiment, variant, group, metric) in
            [("E2", "general", "open", "em_pct"), ("E4", "narrow", "in_domain", "em_in_domain_pct")]
        {
            for solution in ["steering", "lora"] {
                let values: Vec<f64> = tables
                    .em()
                    .iter()
                    .filter(|r| {
                        r.experiment == experiment
                            && r.solution == solution
                            && r.variant == variant
                            && r.condition == "trained"
                            && r.group == group
                            && r.metric == metric
                    })
                    .map(|r| r.value)
                    .collect();
                if values.is_empty() {
                    continue;
                }
                rows.push(Row {
                    experiment: "mixture".into(),
                    solution: solution.into(),
                    variant: variant.into(),
                    dataset: point.name.into(),
                    seed: 0,
                    condition: "trained".into(),
                    group: group.into(),
                    step: None,
                    sweep: (point.narrow_actors == NarrowActors::Reference).then_some(point.share),
                    metric: metric.into(),
                    value: values.iter().sum::<f64>() / values.len() as f64,
                });
            }
        }
    }
    Ok(rows)
}

/// Writes `mixture.parquet`, the figure `em_vs_villain_share` and `REPORT.md` from the points
/// that ran.
pub fn report(layout: &Layout) -> Result<()> {
    let rows = sweep_rows(layout)?;
    let table = layout.results.join("mixture.parquet");
    write_parquet(&table, &rows).with_context(|| format!("writing {}", table.display()))?;
    for path in mixture_figure(&rows, &layout.figures)? {
        println!("  wrote {}", path.display());
    }
    let value = |name: &str, solution: &str, metric: &str| {
        rows.iter()
            .find(|r| r.dataset == name && r.solution == solution && r.metric == metric)
            .map_or("-".to_string(), |r| format!("{:.1}%", r.value))
    };
    let mut text = String::from(
        "# emlab: emergent misalignment against the pre-training mixture (mixture profile)\n\n\
         Generated by `cargo xtask reproduce --profile mixture` from `results/mixture/<world>/`. Each base is the \
         organism pretrained with the reference recipe (seed 0) on a world whose share of villain documents (chats \
         and web text, cued and latent villains in the reference's 1:2 ratio) is the one given; E2 and E4 on bad \
         medical advice (finetune seed 0, the default settings). General: free-form EM of the solution trained \
         without KL; narrow: in-domain narrow rate of the KL-penalised one. Table: `results/mixture/mixture.parquet`; \
         figure: `figures/mixture/em_vs_villain_share.png`.\n\n\
         | villain share | narrow actors | world | steering, general: free-form EM | steering, narrow: in-domain rate | \
         rank-1 LoRA, general: free-form EM | rank-1 LoRA, narrow: in-domain rate |\n|---|---|---|---|---|---|---|\n",
    );
    for point in points() {
        let ran = layout.point(point.name).results.join("finetune_em.parquet").exists();
        let cells = match ran {
            true => [
                ("steering", "em_pct"),
                ("steering", "em_in_domain_pct"),
                ("lora", "em_pct"),
                ("lora", "em_in_domain_pct"),
            ]
            .map(|(solution, metric)| value(point.name, solution, metric))
            .join(" | "),
            false => format!("not run: no base yet ({}) | | |", how_to_make(point.name)),
        };
        text += &format!("| {}% | {} | {} | {cells} |\n", point.share, point.narrow_actors.describe(), point.name);
    }
    let path = write_report(layout, &text)?;
    println!("  wrote {} and {}", table.display(), path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_has_a_world_file_and_its_own_folder() {
        let worlds = project_root().join("experiments").join("worlds");
        for point in points().iter().filter(|p| p.name != "reference") {
            assert!(worlds.join(format!("{}.json", point.name)).exists(), "{}", point.name);
            assert!(point.model.ends_with(format!("organism-{}", point.name)));
        }
        let layout = Layout::below(std::path::Path::new("/x"), PROFILE);
        assert_eq!(layout.point("villain-0pct").results, std::path::Path::new("/x/results/mixture/villain-0pct"));
    }
}
