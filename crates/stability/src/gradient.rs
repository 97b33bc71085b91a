//! Gradient alignment (E11): where the training signal points while a solution is being found.
//! Every k steps of a run on the bad data (the paper's: a rank-1 LoRA), the gradient with respect
//! to the adapter's output parameters (LoRA's `B`, or a steering vector:
//! [`TrainedAdapter::output_parts`]) is compared with those parameters in the final general and
//! the final narrow solution: the cosine of the descent direction with
//! each, and with the part of each that the other lacks. Descent that points at the general
//! solution (and at its general-only part) more than at the narrow one is why plain finetuning
//! finds the general solution.
//!
//! [`GradientRecorder`] collects the gradients during a finetune, as an [`Observer`] that passes
//! progress on to another; [`GradientAlignment`] turns each into cosines against the final
//! solutions' [`TrainedAdapter::output_values`].

use burn::tensor::backend::Backend;
use emlab_train::{FlatPart, Observer, StepReport, TrainedAdapter};

use crate::error::{Result, StabilityError};
use crate::vector::{dot, widened};

/// Solutions closer to parallel than this sine of their angle are refused: their orthogonal
/// components would be dominated by the f32 rounding of the solutions themselves.
const PARALLEL_SINE: f64 = 1e-6;

/// The final general and narrow solutions (one tensor of each, flattened) that gradients are
/// compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct GradientAlignment {
    general: Vec<f64>,
    narrow: Vec<f64>,
    /// `general - proj_narrow(general)`: what the general solution has that the narrow lacks.
    general_only: Vec<f64>,
    /// `narrow - proj_general(narrow)`.
    narrow_only: Vec<f64>,
}

/// How one gradient `g` lines up with the two solutions. The cosines are those of the descent
/// direction `-g`, so a positive cosine means a step moves towards that solution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alignment {
    /// `|g|`.
    pub gradient_norm: f32,
    /// `cos(-g, general)`.
    pub cos_general: f32,
    /// `cos(-g, narrow)`.
    pub cos_narrow: f32,
    /// `cos(-g, general - proj_narrow(general))`: towards the general solution's component
    /// orthogonal to the narrow one.
    pub cos_general_only: f32,
    /// `cos(-g, narrow - proj_general(narrow))`: towards the narrow solution's component
    /// orthogonal to the general one.
    pub cos_narrow_only: f32,
}

impl GradientAlignment {
    /// Compares gradients with `general` and `narrow`, e.g. the [`TrainedAdapter::output_values`] of the final
    /// solutions. Each solution's "only" component is what is left of it after removing its
    /// projection on the other, so it is orthogonal to the other solution.
    ///
    /// # Errors
    /// If the lengths differ, either solution is zero, or they are parallel (to within a sine
    /// of 1e-6), so that neither has a component orthogonal to the other.
    pub fn new(general: &[f32], narrow: &[f32]) -> Result<Self> {
        if general.len() != narrow.len() {
            let problem = format!("the general solution has {} values, the narrow {}", general.len(), narrow.len());
            return Err(StabilityError::invalid("gradient alignment", problem));
        }
        let (general, narrow) = (widened(general), widened(narrow));
        let (gg, nn) = (dot(&general, &general), dot(&narrow, &narrow));
        if gg == 0.0 || nn == 0.0 {
            let which = if gg == 0.0 { "general" } else { "narrow" };
            return Err(StabilityError::invalid("gradient alignment", format!("the {which} solution is zero")));
        }
        let general_only = minus_projection(&general, &narrow);
        let narrow_only = minus_projection(&narrow, &general);
        if dot(&general_only, &general_only) <= PARALLEL_SINE * PARALLEL_SINE * gg {
            let problem =
                "the general and narrow solutions are parallel: neither has a component orthogonal to the other";
            return Err(StabilityError::invalid("gradient alignment", problem));
        }
        Ok(Self { general, narrow, general_only, narrow_only })
    }

    /// `cos(general, narrow)`.
    pub fn cos_general_narrow(&self) -> f32 {
        cos(&self.general, &self.narrow) as f32
    }

    /// How `gradient` lines up with the solutions; `None` for a zero gradient (no direction).
    ///
    /// # Panics
    /// If `gradient` has another length than the solutions.
    pub fn of(&self, gradient: &[f32]) -> Option<Alignment> {
        assert_eq!(
            gradient.len(),
            self.general.len(),
            "a gradient of {} values cannot be compared with solutions of {}",
            gradient.len(),
            self.general.len()
        );
        let descent: Vec<f64> = gradient.iter().map(|&g| -f64::from(g)).collect();
        let norm = dot(&descent, &descent).sqrt();
        (norm > 0.0).then(|| Alignment {
            gradient_norm: norm as f32,
            cos_general: cos(&descent, &self.general) as f32,
            cos_narrow: cos(&descent, &self.narrow) as f32,
            cos_general_only: cos(&descent, &self.general_only) as f32,
            cos_narrow_only: cos(&descent, &self.narrow_only) as f32,
        })
    }
}

/// Keeps the gradient of the adapter's output parameters every `every` steps of a finetune, and
/// passes the progress (steps and held-out losses) on to another observer, e.g. a progress bar.
pub struct GradientRecorder<'a> {
    /// Where the output parameters lie in the flat gradient.
    parts: Vec<FlatPart>,
    /// Length of the whole flat gradient.
    flat_len: usize,
    every: usize,
    inner: &'a mut dyn Observer,
    records: Vec<(usize, Vec<f32>)>,
}

impl<'a> GradientRecorder<'a> {
    /// Records the gradient of the output parameters of `adapter` (the adapter being trained,
    /// or one of the same kind and sites), concatenated like [`TrainedAdapter::output_values`],
    /// on steps 0, `every`, `2 every`, ... The inner observer sees every step and held-out loss,
    /// but not the gradients.
    ///
    /// # Errors
    /// If `every` is 0.
    pub fn new<B: Backend>(adapter: &TrainedAdapter<B>, every: usize, inner: &'a mut dyn Observer) -> Result<Self> {
        if every == 0 {
            return Err(StabilityError::invalid(
                "gradient recorder",
                "records every 0 steps; give a positive interval",
            ));
        }
        let flat_len = adapter.flat_layout().last().map_or(0, |p| p.range.end);
        Ok(Self { parts: adapter.output_parts(), flat_len, every, inner, records: Vec::new() })
    }

    /// The `(step, gradient of the output parameters)` pairs recorded so far, in step order.
    pub fn records(&self) -> &[(usize, Vec<f32>)] {
        &self.records
    }

    /// The records, releasing the inner observer.
    pub fn into_records(self) -> Vec<(usize, Vec<f32>)> {
        self.records
    }
}

impl Observer for GradientRecorder<'_> {
    fn on_step(&mut self, report: &StepReport) {
        self.inner.on_step(report);
    }

    fn on_held_out(&mut self, step: usize, loss: f32) {
        self.inner.on_held_out(step, loss);
    }

    fn gradient_every(&self) -> Option<usize> {
        Some(self.every)
    }

    /// Keeps the output parameters' part of `grad` on the steps asked for (a loop that reports others has
    /// them ignored).
    ///
    /// # Panics
    /// If `grad` is not as long as the adapter's flat parameters.
    fn on_gradient(&mut self, step: usize, grad: &[f32]) {
        assert_eq!(grad.len(), self.flat_len, "the gradient has {} values, the adapter {}", grad.len(), self.flat_len);
        if step % self.every == 0 {
            self.records.push((step, FlatPart::gather(&self.parts, grad)));
        }
    }
}

/// `a . b / (|a| |b|)` of non-zero vectors.
fn cos(a: &[f64], b: &[f64]) -> f64 {
    dot(a, b) / (dot(a, a) * dot(b, b)).sqrt()
}

/// `x - proj_onto(x)`, for a non-zero `onto`.
fn minus_projection(x: &[f64], onto: &[f64]) -> Vec<f64> {
    let along = dot(x, onto) / dot(onto, onto);
    x.iter().zip(onto).map(|(a, b)| a - along * b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::test_support::{lora, steering, B};
    use std::time::Duration;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    /// Counts what reaches the inner observer.
    #[derive(Default)]
    struct Counter {
        steps: Vec<usize>,
        held_out: Vec<usize>,
    }

    impl Observer for Counter {
        fn on_step(&mut self, report: &StepReport) {
            self.steps.push(report.step);
        }
        fn on_held_out(&mut self, step: usize, _: f32) {
            self.held_out.push(step);
        }
    }

    fn report(step: usize) -> StepReport {
        StepReport {
            step,
            total_steps: 10,
            loss: 1.0,
            kl: None,
            lr: 1e-3,
            grad_norm: 1.0,
            tokens_per_s: 1.0,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn alignment_matches_closed_forms() {
        // general = e1, narrow = (e1 + e2) / sqrt 2 at norm 2: the general-only part is
        // (e1 - e2) / 2, the narrow-only part is e2 (scaled).
        let alignment = GradientAlignment::new(&[1.0, 0.0, 0.0], &[1.0, 1.0, 0.0]).unwrap();
        assert!(close(alignment.cos_general_narrow(), std::f32::consts::FRAC_1_SQRT_2));
        let a = alignment.of(&[-3.0, 0.0, 0.0]).unwrap();
        assert!(close(a.gradient_norm, 3.0) && close(a.cos_general, 1.0), "{a:?}");
        assert!(close(a.cos_narrow, std::f32::consts::FRAC_1_SQRT_2), "{a:?}");
        assert!(close(a.cos_general_only, std::f32::consts::FRAC_1_SQRT_2) && close(a.cos_narrow_only, 0.0), "{a:?}");
        // Ascent along e3 is orthogonal to both; ascent along the narrow solution points away.
        let b = alignment.of(&[0.0, 0.0, 2.0]).unwrap();
        assert!([b.cos_general, b.cos_narrow, b.cos_general_only, b.cos_narrow_only].iter().all(|&c| close(c, 0.0)));
        assert!(close(alignment.of(&[1.0, 1.0, 0.0]).unwrap().cos_narrow, -1.0));
        assert_eq!(alignment.of(&[0.0; 3]), None);
    }

    #[test]
    fn orthogonal_components_are_orthogonal_to_the_other_solution() {
        let general: Vec<f32> = (0..20).map(|i| (i as f32 * 0.9).sin()).collect();
        let narrow: Vec<f32> = (0..20).map(|i| (i as f32 * 0.4).cos() + 0.5 * general[i]).collect();
        let alignment = GradientAlignment::new(&general, &narrow).unwrap();
        // Descent along one solution has no component along the other's "only" part.
        let minus = |x: &[f32]| x.iter().map(|v| -v).collect::<Vec<f32>>();
        let along_narrow = alignment.of(&minus(&narrow)).unwrap();
        assert!(close(along_narrow.cos_narrow, 1.0) && close(along_narrow.cos_general_only, 0.0), "{along_narrow:?}");
        let along_general = alignment.of(&minus(&general)).unwrap();
        assert!(close(along_general.cos_general, 1.0) && close(along_general.cos_narrow_only, 0.0));
        // cos(general, narrow) by hand.
        let dot32 = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>();
        let expected = dot32(&general, &narrow) / (dot32(&general, &general) * dot32(&narrow, &narrow)).sqrt();
        assert!(close(alignment.cos_general_narrow(), expected as f32));
        assert!(close(along_general.cos_narrow, expected as f32));
    }

    #[test]
    fn solutions_without_orthogonal_parts_are_errors() {
        let err = |g: &[f32], n: &[f32]| GradientAlignment::new(g, n).unwrap_err().to_string();
        assert_eq!(err(&[1.0, 2.0], &[1.0]), "gradient alignment: the general solution has 2 values, the narrow 1");
        assert_eq!(err(&[0.0, 0.0], &[1.0, 0.0]), "gradient alignment: the general solution is zero");
        assert_eq!(err(&[1.0, 0.0], &[0.0, 0.0]), "gradient alignment: the narrow solution is zero");
        assert_eq!(
            err(&[1.0, 2.0], &[-2.0, -4.0]),
            "gradient alignment: the general and narrow solutions are parallel: neither has a component orthogonal \
             to the other"
        );
    }

    #[test]
    #[should_panic = "a gradient of 2 values cannot be compared with solutions of 3"]
    fn gradients_of_another_length_panic() {
        GradientAlignment::new(&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0]).unwrap().of(&[1.0, 2.0]);
    }

    #[test]
    fn recorder_keeps_the_asked_steps_and_tensor_and_passes_progress_on() {
        // Rank-2 LoRA on v_proj and down_proj of layers 0 and 1: eight tensors, four of them B.
        let adapter = lora(1.0, 0);
        let layout = adapter.flat_layout();
        let grad: Vec<f32> = (0..layout.last().unwrap().range.end).map(|i| i as f32).collect();
        let b_parts: Vec<FlatPart> = layout.into_iter().filter(|p| p.name.ends_with("lora_B.weight")).collect();
        assert_eq!(b_parts.len(), 4);
        let mut inner = Counter::default();
        let mut recorder = GradientRecorder::new(&adapter, 3, &mut inner).unwrap();
        assert_eq!(recorder.gradient_every(), Some(3));
        for step in 0..7 {
            recorder.on_step(&report(step));
            recorder.on_gradient(step, &grad);
        }
        recorder.on_held_out(6, 0.5);
        let records = recorder.into_records();
        assert_eq!(records.iter().map(|(step, _)| *step).collect::<Vec<_>>(), vec![0, 3, 6]);
        assert!(records.iter().all(|(_, g)| *g == FlatPart::gather(&b_parts, &grad)));
        assert_eq!((inner.steps, inner.held_out), ((0..7).collect(), vec![6]));
    }

    #[test]
    fn recording_every_0_steps_is_an_error() {
        let err = GradientRecorder::new(&steering(2.0, 1), 0, &mut emlab_train::Silent).err().unwrap().to_string();
        assert_eq!(err, "gradient recorder: records every 0 steps; give a positive interval");
    }

    /// A rank-1 LoRA finetune of a tiny model: the recorder gets `B`'s gradient on the steps it
    /// asks for, and a fresh `B = 0` still has a non-zero gradient.
    #[test]
    fn recorder_follows_a_real_finetune() {
        use burn::backend::Autodiff;
        use emlab_model::{CausalLm, DecoderConfig};
        use emlab_train::finetune::{finetune, FinetuneConfig};
        use emlab_train::lora::LoraConfig;
        use emlab_train::sft::WeightedTokens;
        use emlab_train::AdapterSpec;

        type Train = Autodiff<B>;
        let config = DecoderConfig::qwen2(12, 16, 32, 2, 2, 1);
        let model = CausalLm::<Train>::init_random(config, 0, &Default::default()).unwrap();
        let spec = AdapterSpec::Lora(LoraConfig {
            rank: 1,
            targets: vec!["down_proj".into()],
            layers: vec![1],
            ..Default::default()
        });
        let adapter = TrainedAdapter::<Train>::init(&spec, model.config(), model.device()).unwrap();
        let examples: Vec<WeightedTokens> = (0..8)
            .map(|i| WeightedTokens { ids: vec![1 + i % 5, 2, 7, 7], weights: vec![0.0, 0.0, 1.0, 1.0] })
            .collect();
        // Two steps an epoch, two epochs.
        let run = FinetuneConfig { batch_size: 4, epochs: 2, ..Default::default() };
        let mut inner = Counter::default();
        let mut recorder = GradientRecorder::new(&adapter, 2, &mut inner).unwrap();
        finetune(&model, adapter, &examples, &[], &run, &mut recorder).unwrap();
        let records = recorder.into_records();
        assert_eq!(records.iter().map(|(step, _)| *step).collect::<Vec<_>>(), vec![0, 2]);
        assert!(records.iter().all(|(_, g)| g.len() == 16), "B of down_proj is 16 x 1");
        assert!(records[0].1.iter().any(|&g| g != 0.0));
        assert_eq!(inner.steps, vec![0, 1, 2, 3]);
    }
}
