//! C4 (CL section 3.4, Fig. 4) and the ablations of C6 (CL section 3.5): a general finetune
//! evaluated with misalignment directions projected out of its residual stream at every position,
//! or out of its adapter's weights. The conditions, each a row `condition`:
//!
//! - `none`: the finetune as trained;
//! - `layerwise`: each layer's own `v_l` removed after layer `l` (CL: 11.25% -> 0%);
//! - `single`: `v` of the adapter's layer removed after every layer (CL: -> 1%);
//! - `single_at_layer`: the same `v` removed at the adapter's layer only (CL C6: -> 4%);
//! - `transfer`: another finetune's `v` removed after every layer (CL: -90% and -78%);
//! - `random`: a random direction of the same norm removed after every layer, several draws
//!   (`step` = draw; CL: at most +-10%);
//! - `adapter`: `v` removed from what the adapter writes, `B <- B - r r^T B` (CL C6: 17% -> 13%).

use std::path::Path;

use anyhow::Result;
use burn::tensor::backend::Backend;
use emlab_analysis::Row;
use emlab_model::Interventions;
use emlab_probes::{ablate_from_adapter, ablate_layerwise, ablate_single, random_like_direction};
use serde::Serialize;

use crate::directions::DirectionRef;
use crate::execute::Evaluator;
use crate::plan::EvalSpec;

/// C4's step for one target finetune.
#[derive(Debug, Clone, Serialize)]
pub struct AblationSpec {
    /// The finetune ablated, and its own direction.
    pub target: DirectionRef,
    /// Another finetune whose direction is transferred (none when the target is the source).
    pub transfer: Option<DirectionRef>,
    /// The target's evaluation, at the ablation's sample count.
    pub eval: EvalSpec,
    /// The groups evaluated.
    pub groups: Vec<String>,
    /// Random directions.
    pub random_draws: usize,
    /// Seed of draw 0.
    pub random_seed: u64,
}

/// Evaluates the target under every ablation into `dir`; returns the rows and a summary.
pub fn ablation_step<B: Backend>(
    evaluator: &Evaluator<B>,
    spec: &AblationSpec,
    dir: &Path,
) -> Result<(Vec<Row>, String)> {
    let finetune = &spec.target.finetune;
    let record = spec.target.load()?;
    if let Some(why) = record.why_absent() {
        return Ok((Vec::new(), format!("skipped, there is no direction to ablate: {why}")));
    }
    let directions = record.directions()?;
    let (layers, middle) = (directions.num_layers(), record.middle_layer());
    let device = evaluator.model.device();
    let adapter = finetune.adapter(evaluator)?;
    let adapted = adapter.edits();
    let groups = spec.eval.groups_named(&spec.groups)?;
    let key = finetune.key("C4");

    let mut conditions: Vec<(String, Option<usize>, Interventions<B>)> = vec![
        ("none".into(), None, adapted.clone()),
        ("layerwise".into(), None, adapted.clone().then(ablate_layerwise(&directions, device)?)),
        ("single".into(), None, adapted.clone().then(ablate_single(record.middle(), 0..layers, device)?)),
        ("single_at_layer".into(), None, adapted.clone().then(ablate_single(record.middle(), [middle], device)?)),
    ];
    // A transfer source without a direction has nothing to transfer.
    if let Some(source) =
        spec.transfer.as_ref().map(DirectionRef::load).transpose()?.filter(|s| s.why_absent().is_none())
    {
        conditions.push((
            "transfer".into(),
            None,
            adapted.clone().then(ablate_single(source.middle(), 0..layers, device)?),
        ));
    }
    for k in 0..spec.random_draws {
        let random = random_like_direction(record.middle(), spec.random_seed + k as u64);
        conditions.push(("random".into(), Some(k), adapted.clone().then(ablate_single(&random, 0..layers, device)?)));
    }
    if record.adapter_layer.is_some() {
        let r = directions.unit(middle).expect("a direction the ablations above accepted is not zero");
        conditions.push(("adapter".into(), None, ablate_from_adapter(&adapter, &r)?.edits()));
    }

    let mut rows = Vec::new();
    let mut summary = Vec::new();
    for (condition, draw, edits) in &conditions {
        let name = draw.map_or(condition.clone(), |k| format!("{condition}{k}"));
        let report = evaluator.evaluate_groups(&groups, edits, dir, &name)?;
        summary.push(format!("{name} {:.1}", report.groups[0].rates.em_pct));
        rows.extend(key.rate_rows(condition, *draw, &report));
    }
    Ok((rows, format!("EM % on {}: {}", spec.groups[0], summary.join(", "))))
}
