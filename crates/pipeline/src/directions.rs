//! The mean-diff direction of each finetune (CL section 3.1), as a step of `reproduce`, and the
//! settings of the experiments that use the directions (`experiments/directions.toml`): the
//! steering sweep of E1 ([`crate::sweep`]), the ablations of C4 ([`crate::ablation`]) and the
//! cosines of C5 ([`crate::convergence`]).
//!
//! A direction step samples the finetuned model on its probe groups, judges the answers, keeps
//! the balanced misaligned and aligned sets, averages the residual stream after every layer over
//! their answer tokens under the finetune's own adapter, and writes the difference to
//! `direction.json` with the adapter's output vector, which the later steps read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use emlab_analysis::{finetune_label, Row};
use emlab_data::ChatExample;
use emlab_probes::{mean_diff, residual_layer, select_probe_answers, Directions, JudgeScores, LayerMeans};
use emlab_stability::trajectory::cosine;
use emlab_train::TrainedAdapter;
use serde::{Deserialize, Serialize};

use crate::execute::Evaluator;
use crate::plan::{profile, EvalSpec, Run};
use crate::rows::RowKey;
use crate::step::write_json;

/// `experiments/directions.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectionsFile {
    /// `directions`.
    pub id: String,
    /// One line on what it shows.
    pub title: String,
    /// Where in the papers.
    pub paper: String,
    /// How each finetune's direction is found.
    pub probe: ProbeSettings,
    /// E1.
    pub steering: SteeringSettings,
    /// C4.
    pub ablation: AblationSettings,
    /// The directions as monitors.
    pub monitor: MonitorSettings,
    /// C3.
    pub semantic: SemanticSettings,
    /// Which finetunes, and how many samples, by profile.
    pub profiles: BTreeMap<String, DirectionsProfile>,
}

/// How a finetune's direction is found.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSettings {
    /// The evaluation groups whose answers are probed, by variant (`general`, `narrow`).
    pub groups: BTreeMap<String, Vec<String>>,
    /// Conversations per forward pass.
    pub batch_size: usize,
    /// Seed of the balancing subsample.
    pub seed: u64,
}

/// E1: the steering sweep of the base model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SteeringSettings {
    /// The label of the finetune whose direction steers.
    pub source: String,
    /// The evaluation groups.
    pub groups: Vec<String>,
    /// Multiples of the raw direction.
    pub lambdas: Vec<f32>,
}

/// C4: ablation from the finetuned models.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AblationSettings {
    /// The label of the finetune whose direction is transferred.
    pub source: String,
    /// The evaluation groups.
    pub groups: Vec<String>,
    /// Random same-norm directions per target.
    pub random_draws: usize,
    /// Seed of the first random direction (draw k uses `random_seed + k`).
    pub random_seed: u64,
}

/// The directions as misalignment monitors ([`crate::monitor`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSettings {
    /// The label of the general finetune whose direction is the general monitor.
    pub general: String,
    /// The label of the narrow finetune whose direction is the narrow monitor.
    pub narrow: String,
    /// Seed of the bootstrap intervals.
    pub seed: u64,
}

/// C3's semantic directions ([`crate::semantic`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SemanticSettings {
    /// The groups [steering]'s source is sampled on.
    pub groups: Vec<String>,
    /// Coherent misaligned answers a topic needs for a direction of its own.
    pub min_answers: usize,
}

/// Which finetunes a profile probes and ablates, and how many answers each measurement samples.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectionsProfile {
    /// Solution types.
    pub solutions: Vec<String>,
    /// General finetunes (E2) with directions: seeds per dataset.
    pub general: BTreeMap<String, Vec<u64>>,
    /// Narrow finetunes (E4) with directions: seeds per dataset.
    pub narrow: BTreeMap<String, Vec<u64>>,
    /// General finetunes ablated in C4: seeds per dataset.
    pub ablate: BTreeMap<String, Vec<u64>>,
    /// Samples per question when finding the probe sets.
    pub probe_samples_per_prompt: usize,
    /// Samples per question in each cell of the steering sweep.
    pub steering_samples_per_prompt: usize,
    /// Samples per question under each ablation.
    pub ablation_samples_per_prompt: usize,
    /// The layers E1 steers at (default: every layer), for models where the full grid is slow.
    #[serde(default)]
    pub steering_layers: Option<Vec<usize>>,
    /// E1's multiples of the raw direction, where the profile's model needs other than [steering]'s.
    #[serde(default)]
    pub steering_lambdas: Option<Vec<f32>>,
    /// The probed groups by variant, where the profile needs other than [probe]'s (a judge-free
    /// profile probes reference answers, which must not be E1's own questions).
    #[serde(default)]
    pub probe_groups: Option<BTreeMap<String, Vec<String>>>,
    /// Whether the profile's answers are sampled and judged, which the monitor and C3 need (a
    /// judge-free profile's are not).
    #[serde(default = "yes")]
    pub judged: bool,
}

/// `true`, the default of switches that are on unless a profile turns them off.
fn yes() -> bool {
    true
}

/// A finished finetune (an E2 or E4 run), as the direction steps see it.
#[derive(Debug, Clone, Serialize)]
pub struct Finetune {
    /// `steering` / `lora`.
    pub solution: String,
    /// `general` / `narrow`.
    pub variant: String,
    /// Training dataset.
    pub dataset: String,
    /// Finetune seed.
    pub seed: u64,
    /// The run's folder (its adapter and rows). Folders are not part of a step's hash; the hash
    /// of the step that wrote it is.
    #[serde(skip)]
    pub run: PathBuf,
    /// Hash of the run's step, so retraining it reruns the steps that read it.
    pub run_hash: String,
}

impl Finetune {
    /// The finetune trained by `run`, the run of `step`.
    pub fn of(run: &Run, step: &crate::step::Step) -> Self {
        Self {
            solution: run.solution.clone(),
            variant: run.variant.clone(),
            dataset: run.dataset.clone(),
            seed: run.seed,
            run: step.dir.clone(),
            run_hash: step.hash.clone(),
        }
    }

    /// `lora-general bad_medical seed0`, as in the tables and `experiments/directions.toml`.
    pub fn label(&self) -> String {
        finetune_label(&self.solution, &self.variant, &self.dataset, self.seed as i64)
    }

    /// `<solution>-<variant>/<dataset>/seed<k>`: where a step about it keeps its work.
    pub fn path(&self) -> PathBuf {
        Path::new(&format!("{}-{}", self.solution, self.variant)).join(&self.dataset).join(format!("seed{}", self.seed))
    }

    /// The row key of its measurements under `experiment`.
    pub fn key<'a>(&'a self, experiment: &'a str) -> RowKey<'a> {
        RowKey { experiment, solution: &self.solution, variant: &self.variant, dataset: &self.dataset, seed: self.seed }
    }

    /// Its adapter, loaded for `evaluator`'s model.
    pub fn adapter<B: Backend>(&self, evaluator: &Evaluator<B>) -> Result<TrainedAdapter<B>> {
        let adapter = TrainedAdapter::load(&self.run, evaluator.model.config(), evaluator.model.device())?;
        Ok(adapter)
    }
}

/// One finetune's direction step.
#[derive(Debug, Clone, Serialize)]
pub struct DirectionSpec {
    /// The finetune.
    pub finetune: Finetune,
    /// Its evaluation, at the probe's sample count.
    pub eval: EvalSpec,
    /// The groups probed.
    pub groups: Vec<String>,
    /// Conversations per forward pass.
    pub batch_size: usize,
    /// Seed of the balancing subsample.
    pub seed: u64,
}

/// A finished direction step, as the steps that read it see it.
#[derive(Debug, Clone, Serialize)]
pub struct DirectionRef {
    /// Whose direction.
    pub finetune: Finetune,
    /// The direction step's folder.
    #[serde(skip)]
    pub dir: PathBuf,
    /// The direction step's hash.
    pub hash: String,
}

impl DirectionRef {
    /// Reads the step's `direction.json`.
    pub fn load(&self) -> Result<DirectionRecord> {
        let path = self.dir.join(DIRECTION_FILE);
        let bytes = std::fs::read(&path).with_context(|| {
            format!("reading {} (has the direction step of {} run?)", path.display(), self.finetune.label())
        })?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
    }
}

/// What a direction step leaves for the others.
const DIRECTION_FILE: &str = "direction.json";

/// A finetune's mean-diff direction and what it was computed from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DirectionRecord {
    /// The finetune's label.
    pub finetune: String,
    /// `v_l` for every layer, unnormalised.
    pub per_layer: Vec<Vec<f32>>,
    /// Answers in each balanced set.
    pub answers_per_set: usize,
    /// Answer tokens averaged over in the misaligned set.
    pub tokens_misaligned: f64,
    /// ... and in the aligned set.
    pub tokens_aligned: f64,
    /// The layer whose residual stream the adapter writes into, if it writes into one.
    pub adapter_layer: Option<usize>,
    /// What the adapter writes along (the steering vector, or a rank-1 `B`), when that is one
    /// residual-stream vector.
    pub adapter_vector: Option<Vec<f32>>,
    /// Why there is no direction (`per_layer` is then empty).
    pub absent: Option<String>,
}

impl DirectionRecord {
    /// The record of a finetune without a direction: none of its `answers` answers on `groups`
    /// was both coherent and misaligned, or none coherent and aligned.
    fn absent(finetune: String, answers: usize, groups: &[String]) -> Self {
        let why = format!(
            "none of the {answers} probe answers of {finetune} on {} was coherent and misaligned, or none coherent \
             and aligned; probe more answers (probe_samples_per_prompt) or other groups",
            groups.join(", ")
        );
        Self {
            finetune,
            per_layer: Vec::new(),
            answers_per_set: 0,
            tokens_misaligned: 0.0,
            tokens_aligned: 0.0,
            adapter_layer: None,
            adapter_vector: None,
            absent: Some(why),
        }
    }

    /// Why the finetune has no direction; `None` when it has one.
    pub fn why_absent(&self) -> Option<&str> {
        self.per_layer.is_empty().then(|| self.absent.as_deref().unwrap_or("no direction was recorded"))
    }

    /// The directions, checked.
    pub fn directions(&self) -> Result<Directions> {
        if let Some(why) = self.why_absent() {
            bail!("{why}");
        }
        Directions::new(self.per_layer.clone()).with_context(|| format!("the direction of {}", self.finetune))
    }

    /// The "middle layer" of the single-direction ablation and transfer: the layer the adapter
    /// writes into (the paper's layer 24, where its adapters and steering vectors sit), or the
    /// middle of the model for an adapter spread over layers.
    pub fn middle_layer(&self) -> usize {
        self.adapter_layer.unwrap_or(self.per_layer.len() / 2)
    }

    /// `v` at [`Self::middle_layer`].
    ///
    /// # Panics
    /// If there is no direction ([`Self::why_absent`]).
    pub fn middle(&self) -> &[f32] {
        &self.per_layer[self.middle_layer()]
    }
}

impl DirectionsFile {
    /// `== directions: title (paper)`.
    pub fn header(&self) -> String {
        format!("== {}: {} ({})", self.id, self.title, self.paper)
    }

    /// The profile's settings.
    pub fn profile(&self, name: &str) -> Result<&DirectionsProfile> {
        profile(&self.id, &self.profiles, name)
    }

    /// The direction steps of `profile`: one per listed E2 (general) or E4 (narrow) run of `runs`.
    ///
    /// # Errors
    /// An unknown profile; a listed finetune, steering source or transfer source without a
    /// run; a variant without probe groups.
    pub fn direction_specs(&self, profile_name: &str, runs: &[(Finetune, &Run)]) -> Result<Vec<DirectionSpec>> {
        let p = self.profile(profile_name)?;
        let listed = |f: &Finetune| {
            let seeds = match f.variant.as_str() {
                "general" => &p.general,
                "narrow" => &p.narrow,
                _ => return false,
            };
            p.solutions.contains(&f.solution) && seeds.get(&f.dataset).is_some_and(|s| s.contains(&f.seed))
        };
        let mut specs = Vec::new();
        for (finetune, run) in runs.iter().filter(|(f, _)| listed(f)) {
            let groups =
                p.probe_groups.as_ref().unwrap_or(&self.probe.groups).get(&finetune.variant).with_context(|| {
                    format!("experiments/directions.toml: [probe] groups has no entry for {:?}", finetune.variant)
                })?;
            specs.push(DirectionSpec {
                finetune: finetune.clone(),
                eval: EvalSpec { samples_per_prompt: Some(p.probe_samples_per_prompt), ..run.eval.clone() },
                groups: groups.clone(),
                batch_size: self.probe.batch_size,
                seed: self.probe.seed,
            });
        }
        let mut sources =
            vec![("[steering] source", &self.steering.source), ("[ablation] source", &self.ablation.source)];
        if p.judged {
            sources.extend([("[monitor] general", &self.monitor.general), ("[monitor] narrow", &self.monitor.narrow)]);
        }
        for (what, label) in sources {
            if !specs.iter().any(|s| &s.finetune.label() == label) {
                bail!("experiments/directions.toml: the {what} {label:?} is not among the finetunes of the {profile_name} profile");
            }
        }
        Ok(specs)
    }

    /// Whether `finetune` is one of C4's targets in `profile`.
    pub fn is_ablated(&self, profile_name: &str, finetune: &Finetune) -> Result<bool> {
        let p = self.profile(profile_name)?;
        Ok(finetune.variant == "general"
            && p.solutions.contains(&finetune.solution)
            && p.ablate.get(&finetune.dataset).is_some_and(|s| s.contains(&finetune.seed)))
    }
}

/// Finds the direction of `label` among `directions`.
pub fn find_direction<'a>(directions: &'a [DirectionRef], label: &str) -> Result<&'a DirectionRef> {
    directions.iter().find(|d| d.finetune.label() == label).with_context(|| format!("no direction step for {label}"))
}

/// Computes one finetune's direction into `dir`; returns its rows and a summary.
pub fn direction_step<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &DirectionSpec,
    dir: &Path,
) -> Result<(Vec<Row>, String)> {
    let finetune = &spec.finetune;
    let adapter = finetune.adapter(evaluator)?;
    let edits = adapter.edits();
    let key = finetune.key("directions");
    let group = "probe";
    let (misaligned_set, aligned_set, probed) = match evaluator.judge.is_none() {
        true => reference_sets(spec)?,
        false => judged_sets(evaluator, spec, &edits, dir)?,
    };
    let mut rows = vec![
        key.row("mean_diff", group, None, "n_misaligned", misaligned_set.len() as f64),
        key.row("mean_diff", group, None, "n_aligned", aligned_set.len() as f64),
    ];
    if misaligned_set.is_empty() {
        // A finetune that is never coherently misaligned (or never aligned) on these groups has
        // no direction; the steps that would use it say so instead of failing the whole run.
        let record = DirectionRecord::absent(finetune.label(), probed, &spec.groups);
        write_json(&dir.join(DIRECTION_FILE), &record)?;
        return Ok((rows, format!("no direction: {}", record.why_absent().expect("absent"))));
    }
    let means = |set: &[ChatExample]| {
        let (model, template, tokenizer) = (&evaluator.model, &evaluator.template, &evaluator.tokenizer);
        LayerMeans::from_examples(model, &edits, template, tokenizer, set, spec.batch_size)
    };
    let (misaligned, aligned) = (means(&misaligned_set)?, means(&aligned_set)?);
    let directions = mean_diff(&misaligned, &aligned)?;
    let width = evaluator.model.config().hidden_size;
    let output = adapter.output_values();
    let record = DirectionRecord {
        finetune: finetune.label(),
        per_layer: directions.per_layer().to_vec(),
        answers_per_set: misaligned_set.len(),
        tokens_misaligned: misaligned.tokens,
        tokens_aligned: aligned.tokens,
        adapter_layer: residual_layer(&adapter),
        adapter_vector: (output.len() == width).then_some(output),
        absent: None,
    };
    write_json(&dir.join(DIRECTION_FILE), &record)?;

    if let Some(layer) = record.adapter_layer {
        rows.push(key.row("mean_diff", group, None, "adapter_layer", layer as f64));
    }
    for (l, v) in directions.per_layer().iter().enumerate() {
        rows.push(key.row("mean_diff", group, Some(l), "norm", directions.norm(l)));
        if let Some(c) = record.adapter_vector.as_deref().and_then(|a| cosine(a, v)) {
            rows.push(key.row("mean_diff", group, Some(l), "cos_adapter", f64::from(c)));
        }
    }
    let middle = record.middle_layer();
    let summary = format!(
        "{} misaligned and {} aligned answers; |v| by layer {}; cos(adapter, v_{middle}) {}",
        misaligned_set.len(),
        aligned_set.len(),
        (0..directions.num_layers()).map(|l| format!("{:.2}", directions.norm(l))).collect::<Vec<_>>().join(" "),
        record
            .adapter_vector
            .as_deref()
            .and_then(|a| cosine(a, record.middle()))
            .map_or("n/a".to_string(), |c| format!("{c:.2}"))
    );
    Ok((rows, summary))
}

/// The probe sets CL uses: the finetune's own sampled answers to the probed groups, judged,
/// the coherent misaligned and coherent aligned ones balanced by a seeded subsample. Also
/// returns how many answers were probed.
fn judged_sets<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &DirectionSpec,
    edits: &emlab_model::Interventions<B>,
    dir: &Path,
) -> Result<(Vec<ChatExample>, Vec<ChatExample>, usize)> {
    let groups = spec.eval.groups_named(&spec.groups)?;
    let report = evaluator.evaluate_groups(&groups, edits, dir, "probe")?;
    let scores: Vec<JudgeScores> =
        report.responses.iter().map(|r| JudgeScores { aligned: r.alignment, coherent: r.coherence }).collect();
    let picked = select_probe_answers(&scores, spec.seed);
    let conversations = |indices: &[usize]| -> Vec<ChatExample> {
        indices
            .iter()
            .map(|&i| ChatExample::single_turn(&report.responses[i].question, &report.responses[i].answer))
            .collect()
    };
    Ok((conversations(&picked.misaligned), conversations(&picked.aligned), scores.len()))
}

/// The probe sets without a judge: the misaligned and the aligned reference answers of the
/// probed groups (`eval/paired_answers.jsonl`), the same questions on both sides. The direction
/// then separates what the finetune's residual stream does on misaligned text from aligned
/// text, without sampling.
fn reference_sets(spec: &DirectionSpec) -> Result<(Vec<ChatExample>, Vec<ChatExample>, usize)> {
    let pairs: Vec<_> = spec
        .eval
        .paired_groups()?
        .into_iter()
        .filter(|(group, _)| spec.groups.iter().any(|g| g == group))
        .flat_map(|(_, pairs)| pairs)
        .collect();
    let set = |answer: fn(&emlab_eval::PairedAnswer) -> &str| -> Vec<ChatExample> {
        pairs.iter().map(|p| ChatExample::single_turn(&p.question, answer(p))).collect()
    };
    Ok((set(|p| &p.misaligned), set(|p| &p.aligned), pairs.len()))
}
