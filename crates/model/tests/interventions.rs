//! Properties of the edit sites that the parity fixtures do not pin down: neutral edits change
//! nothing, ablation leaves activations orthogonal to the direction, gradients reach a trainable
//! vector (checked against finite differences), and low-rank edits equal the dense update.

mod common;

use burn::backend::Autodiff;
use burn::tensor::{Tensor, TensorData};
use common::{fixture, max_abs_diff, values, Cpu};
use emlab_model::{generate, CausalLm, Edit, GenerationConfig, Interventions, Proj, Site, TokenBatch};

type Grad = Autodiff<Cpu>;

const IDS: [u32; 7] = [4, 77, 120, 9, 301, 15, 60];

fn model<B: burn::tensor::backend::Backend>() -> CausalLm<B> {
    CausalLm::load(&fixture("qwen2-f32"), &Default::default()).unwrap()
}

fn vec_tensor<B: burn::tensor::backend::Backend>(v: Vec<f32>) -> Tensor<B, 1> {
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), &Default::default())
}

fn pseudo_random(n: usize, salt: usize) -> Vec<f32> {
    (0..n).map(|i| (((i * 7919 + salt * 104_729) % 1000) as f32 / 500.0) - 1.0).collect()
}

#[test]
fn zero_steering_vector_changes_nothing() {
    let model = model::<Cpu>();
    let d = model.config().hidden_size;
    let batch = TokenBatch::single(&IDS);
    let base = values(model.forward(&batch, &Interventions::none()).unwrap().output);
    for site in [Site::MlpOut(1), Site::Resid(0), Site::Resid(2)] {
        let edits = Interventions::none().add(site, vec_tensor(vec![0.0; d]), 256.0);
        assert_eq!(values(model.forward(&batch, &edits).unwrap().output), base, "{site:?}");
    }
    let config = GenerationConfig { max_new_tokens: 6, temperature: 0.0, ..Default::default() };
    let zero = Interventions::none().add(Site::MlpOut(1), vec_tensor(vec![0.0; d]), 256.0);
    assert_eq!(
        generate(&model, &[IDS.to_vec()], &config, &zero).unwrap(),
        generate(&model, &[IDS.to_vec()], &config, &Interventions::none()).unwrap()
    );
}

#[test]
fn projecting_out_leaves_activations_orthogonal() {
    let model = model::<Cpu>();
    let d = model.config().hidden_size;
    let direction = pseudo_random(d, 1);
    let norm = direction.iter().map(|x| x * x).sum::<f32>().sqrt();
    let unit: Vec<f32> = direction.iter().map(|x| x / norm).collect();
    for site in [Site::Resid(1), Site::MlpOut(0)] {
        let edits = Interventions::none().capture(site).project_out(site, vec_tensor(direction.clone())).capture(site);
        let out = model.forward(&TokenBatch::single(&IDS), &edits).unwrap();
        let (before, after) = (values(out.captures[0].1.clone()), values(out.captures[1].1.clone()));
        let dots = |h: &[f32]| {
            h.chunks(d).map(|row| row.iter().zip(&unit).map(|(a, b)| a * b).sum::<f32>()).collect::<Vec<_>>()
        };
        assert!(dots(&before).iter().any(|x| x.abs() > 1e-2), "the test direction should matter");
        assert!(dots(&after).iter().all(|x| x.abs() < 1e-5), "{site:?}: {:?}", dots(&after));
    }
}

#[test]
fn masked_steering_edits_only_the_masked_positions() {
    let model = model::<Cpu>();
    let d = model.config().hidden_size;
    let mask = Tensor::<Cpu, 2>::from_data(
        TensorData::new(vec![0.0f32, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0], [1, 7]),
        &Default::default(),
    );
    let site = Site::Resid(2);
    let edits = Interventions::none()
        .with(site, Edit::Add { vector: vec_tensor(vec![1.0; d]), scale: 2.0, positions: Some(mask) })
        .capture(site);
    let steered = values(model.forward(&TokenBatch::single(&IDS), &edits).unwrap().captures[0].1.clone());
    let base = values(
        model.forward(&TokenBatch::single(&IDS), &Interventions::none().capture(site)).unwrap().captures[0].1.clone(),
    );
    for (pos, (s, b)) in steered.chunks(d).zip(base.chunks(d)).enumerate() {
        let expected = if pos >= 4 { 2.0 } else { 0.0 };
        assert!(s.iter().zip(b).all(|(s, b)| (s - b - expected).abs() < 1e-5), "position {pos}");
    }
}

/// Loss used for the gradient checks: a fixed linear functional of the logits.
fn loss<B: burn::tensor::backend::Backend>(model: &CausalLm<B>, edits: &Interventions<B>) -> Tensor<B, 1> {
    let logits = model.forward(&TokenBatch::single(&IDS), edits).unwrap().output;
    let [b, t, v] = logits.dims();
    let weights =
        Tensor::<B, 3>::from_data(TensorData::new(pseudo_random(b * t * v, 3), [b, t, v]), &Default::default());
    (logits * weights).sum()
}

#[test]
fn gradients_reach_a_trainable_steering_vector_and_match_finite_differences() {
    let grad_model = model::<Grad>();
    let d = grad_model.config().hidden_size;
    let init = pseudo_random(d, 5).iter().map(|x| x * 0.1).collect::<Vec<_>>();
    let site = Site::MlpOut(1);
    let v = vec_tensor::<Grad>(init.clone()).require_grad();
    let grads = loss(&grad_model, &Interventions::none().add(site, v.clone(), 4.0)).backward();
    let analytic = values(v.grad(&grads).expect("the steering vector has a gradient"));

    let plain = model::<Cpu>();
    let eps = 1e-2;
    for i in [0, 7, d - 1] {
        let at = |delta: f32| {
            let mut w = init.clone();
            w[i] += delta;
            values(loss(&plain, &Interventions::none().add(site, vec_tensor(w), 4.0)))[0]
        };
        let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
        let err = (numeric - analytic[i]).abs() / analytic[i].abs().max(1.0);
        assert!(err < 2e-2, "coordinate {i}: analytic {} vs numeric {numeric}", analytic[i]);
    }
}

#[test]
fn frozen_weights_get_no_gradient() {
    let model = model::<Grad>();
    let d = model.config().hidden_size;
    let v = vec_tensor::<Grad>(vec![0.1; d]).require_grad();
    let grads = loss(&model, &Interventions::none().add(Site::Resid(0), v, 1.0)).backward();
    assert!(model.net.layers[1].mlp.down_proj.weight.val().grad(&grads).is_none());
}

#[test]
fn low_rank_edit_equals_the_dense_weight_update() {
    let model = model::<Cpu>();
    let cfg = model.config().clone();
    let (layer, proj, scale) = (1, Proj::Down, 0.5);
    let (d_in, d_out) = proj.dims(&cfg);
    let rank = 2;
    let a =
        Tensor::<Cpu, 2>::from_data(TensorData::new(pseudo_random(rank * d_in, 8), [rank, d_in]), &Default::default());
    let b = Tensor::<Cpu, 2>::from_data(
        TensorData::new(pseudo_random(d_out * rank, 9), [d_out, rank]),
        &Default::default(),
    );
    let batch = TokenBatch::single(&IDS);

    let zero_b = Tensor::zeros([d_out, rank], &Default::default());
    let base = values(model.forward(&batch, &Interventions::none()).unwrap().output);
    let with_zero = values(
        model.forward(&batch, &Interventions::none().low_rank(layer, proj, a.clone(), zero_b, scale)).unwrap().output,
    );
    assert_eq!(with_zero, base, "B = 0 must leave the logits unchanged");

    let adapted = values(
        model
            .forward(&batch, &Interventions::none().low_rank(layer, proj, a.clone(), b.clone(), scale))
            .unwrap()
            .output,
    );
    // Dense reference: W' = W + scale * (B A)^T in burn's [d_in, d_out] layout.
    let mut dense = model.clone();
    let w = &mut dense.net.layers[layer].mlp.down_proj.weight;
    let updated = w.val() + b.matmul(a).transpose().mul_scalar(scale);
    *w = burn::module::Param::initialized(burn::module::ParamId::new(), updated);
    let expected = values(dense.forward(&batch, &Interventions::none()).unwrap().output);
    assert!(max_abs_diff(&adapted, &expected) < 1e-4);
    assert!(max_abs_diff(&adapted, &base) > 1e-2, "the adapter should change the logits");
}

#[test]
fn invalid_edits_are_rejected_with_the_site_named() {
    let model = model::<Cpu>();
    let d = model.config().hidden_size;
    let batch = TokenBatch::single(&IDS);
    let wrong_layer = Interventions::none().add(Site::Resid(9), vec_tensor(vec![0.0; d]), 1.0);
    let err = model.forward(&batch, &wrong_layer).unwrap_err().to_string();
    assert!(err.contains("Resid(9)") && err.contains("out of range"), "{err}");
    let wrong_width = Interventions::none().add(Site::MlpOut(0), vec_tensor(vec![0.0; d + 1]), 1.0);
    let err = model.forward(&batch, &wrong_width).unwrap_err().to_string();
    assert!(err.contains("MlpOut(0)") && err.contains("width"), "{err}");
    let out_of_vocab = TokenBatch::single(&[1, 100_000]);
    assert!(model.forward(&out_of_vocab, &Interventions::none()).unwrap_err().to_string().contains("100000"));
}
