//! Parity with Hugging Face transformers on the committed fixtures: logits, hidden states, MLP
//! outputs, left-padded batches, greedy generation and steering hooks, for Qwen2 and Llama in
//! f32, bf16, f16, tied and untied, single-file and sharded.

mod common;

use common::{fixture, max_abs_diff, values, Cpu, Reference, MODELS};
use emlab_model::{generate, CausalLm, GenerationConfig, Interventions, PadSide, Site, TokenBatch};

/// The acceptance bound of the engine issue: max |difference| on logits and hidden states.
const TOLERANCE: f32 = 1e-4;

fn load(model: &str) -> CausalLm<Cpu> {
    CausalLm::load(&fixture(model), &Default::default()).unwrap_or_else(|e| panic!("{model}: {e}"))
}

fn vector(reference: &Reference, name: &str) -> burn::tensor::Tensor<Cpu, 1> {
    let (v, shape) = reference.tensor(name);
    burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(v, shape), &Default::default())
}

#[test]
fn logits_hidden_states_and_mlp_outputs_match_transformers() {
    for name in MODELS {
        let model = load(name);
        let reference = Reference::load(name);
        let ids = &reference.ids(&["single", "ids"])[..].concat();
        let layers = model.config().num_hidden_layers;
        let mut edits = Interventions::none();
        for l in 0..layers {
            edits = edits.capture(Site::Resid(l)).capture(Site::MlpOut(l));
        }
        let out = model.forward(&TokenBatch::single(ids), &edits).unwrap();

        let (expected, shape) = reference.tensor("single.logits");
        assert_eq!(out.output.dims().to_vec(), [&[1], &shape[..]].concat());
        let err = max_abs_diff(&values(out.output.clone()), &expected);
        assert!(err <= TOLERANCE, "{name}: max logit error {err}");

        let (layer_outputs, _) = reference.tensor("single.layer_outputs");
        let (mlp_outputs, _) = reference.tensor("single.mlp_outputs");
        let per_layer = layer_outputs.len() / layers;
        for l in 0..layers {
            let range = l * per_layer..(l + 1) * per_layer;
            let resid = values(out.capture(Site::Resid(l)).unwrap().clone());
            let err = max_abs_diff(&resid, &layer_outputs[range.clone()]);
            assert!(err <= TOLERANCE, "{name}: layer {l} residual error {err}");
            let mlp = values(out.capture(Site::MlpOut(l)).unwrap().clone());
            let err = max_abs_diff(&mlp, &mlp_outputs[range]);
            assert!(err <= TOLERANCE, "{name}: layer {l} MLP output error {err}");
        }
        let last = model.final_norm(out.capture(Site::Resid(layers - 1)).unwrap().clone());
        let err = max_abs_diff(&values(last), &reference.tensor("single.final_hidden").0);
        assert!(err <= TOLERANCE, "{name}: final hidden state error {err}");
    }
}

#[test]
fn left_padded_batch_matches_transformers_on_real_tokens() {
    for name in MODELS {
        let model = load(name);
        let reference = Reference::load(name);
        let ids = reference.ids(&["batch", "ids"]);
        let mask = reference.ids(&["batch", "attention_mask"]);
        let (b, t) = (ids.len(), ids[0].len());
        let batch = TokenBatch::new(ids.concat(), mask.concat().iter().map(|&m| m == 1).collect(), b, t).unwrap();
        assert_eq!(
            batch.positions(&[0, 0]),
            reference.ids(&["batch", "position_ids"]).concat().iter().map(|&p| p as i64).collect::<Vec<_>>()
        );
        let logits = values(model.forward(&batch, &Interventions::none()).unwrap().output);
        let (expected, shape) = reference.tensor("batch.logits");
        let vocab = shape[2];
        for (pos, &real) in batch.mask().iter().enumerate() {
            if real {
                let row = pos * vocab..(pos + 1) * vocab;
                let err = max_abs_diff(&logits[row.clone()], &expected[row]);
                assert!(err <= TOLERANCE, "{name}: batch position {pos} error {err}");
            }
        }
    }
}

#[test]
fn greedy_generation_matches_transformers_with_and_without_cache() {
    for name in MODELS {
        let model = load(name);
        let reference = Reference::load(name);
        let prompts: Vec<Vec<u32>> = reference
            .ids(&["batch", "ids"])
            .into_iter()
            .zip(reference.ids(&["batch", "attention_mask"]))
            .map(|(ids, mask)| ids.into_iter().zip(mask).filter(|&(_, m)| m == 1).map(|(i, _)| i).collect())
            .collect();
        let expected = reference.ids(&["greedy", "new_tokens"]);
        for use_cache in [true, false] {
            let config = GenerationConfig { max_new_tokens: 8, temperature: 0.0, use_cache, ..Default::default() };
            let out = generate(&model, &prompts, &config, &Interventions::none()).unwrap();
            assert_eq!(out, expected, "{name}, cache {use_cache}");
        }
    }
}

#[test]
fn steering_matches_transformers_forward_hooks() {
    for name in MODELS {
        let model = load(name);
        let reference = Reference::load(name);
        let layer = reference.json["steer"]["layer"].as_u64().unwrap() as usize;
        let scale = reference.json["steer"]["scale"].as_f64().unwrap() as f32;
        let v = vector(&reference, "steer.vector");
        let ids = reference.ids(&["single", "ids"]).concat();
        for (site, key) in [(Site::MlpOut(layer), "steer_mlp.logits"), (Site::Resid(layer), "steer_resid.logits")] {
            let edits = Interventions::none().add(site, v.clone(), scale);
            let logits = values(model.forward(&TokenBatch::single(&ids), &edits).unwrap().output);
            let err = max_abs_diff(&logits, &reference.tensor(key).0);
            assert!(err <= TOLERANCE, "{name}: steered at {site:?}, error {err}");
        }
    }
}

#[test]
fn steered_greedy_generation_matches_transformers_with_and_without_cache() {
    for name in MODELS {
        let model = load(name);
        let reference = Reference::load(name);
        let layer = reference.json["greedy_steered"]["layer"].as_u64().unwrap() as usize;
        let scale = reference.json["greedy_steered"]["scale"].as_f64().unwrap() as f32;
        let edits = Interventions::none().add(Site::MlpOut(layer), vector(&reference, "steer.vector"), scale);
        let ids = reference.ids(&["batch", "ids"]);
        let mask = reference.ids(&["batch", "attention_mask"]);
        let prompts: Vec<Vec<u32>> = ids
            .into_iter()
            .zip(mask)
            .map(|(ids, mask)| ids.into_iter().zip(mask).filter(|&(_, m)| m == 1).map(|(i, _)| i).collect())
            .collect();
        let expected = reference.ids(&["greedy_steered", "new_tokens"]);
        for use_cache in [true, false] {
            let config = GenerationConfig { max_new_tokens: 8, temperature: 0.0, use_cache, ..Default::default() };
            assert_eq!(generate(&model, &prompts, &config, &edits).unwrap(), expected, "{name}, cache {use_cache}");
        }
    }
}

#[test]
fn padding_side_does_not_change_real_logits() {
    let model = load("qwen2-f32");
    let seqs = vec![vec![5, 9, 13, 2, 40], vec![77, 3]];
    let none = Interventions::none();
    let single = values(model.forward(&TokenBatch::single(&seqs[1]), &none).unwrap().output);
    let vocab = model.config().vocab_size;
    for side in [PadSide::Left, PadSide::Right] {
        let logits = values(model.forward(&TokenBatch::padded(&seqs, 0, side), &none).unwrap().output);
        let row = &logits[5 * vocab..10 * vocab];
        let real = match side {
            PadSide::Left => &row[3 * vocab..],
            PadSide::Right => &row[..2 * vocab],
        };
        assert!(max_abs_diff(real, &single) <= 1e-5, "{side:?}");
    }
}
