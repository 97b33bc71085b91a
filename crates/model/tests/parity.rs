//! Parity with Hugging Face transformers on the committed fixtures: logits, hidden states, MLP
//! outputs, left-padded batches, steering hooks and greedy generation (with and without the KV
//! cache), for Qwen2 and Llama in f32, bf16 and f16, tied and untied, single-file and sharded.

mod common;

use common::{fixture, max_abs_diff, values, Cpu};
use emlab_model::parity::{check, FIXTURES};
use emlab_model::{CausalLm, Interventions, PadSide, TokenBatch};

/// The acceptance bound of the engine: max |difference| on logits and hidden states.
const TOLERANCE: f32 = 1e-4;

#[test]
fn every_fixture_matches_transformers() {
    for name in FIXTURES {
        let report = check::<Cpu>(&fixture(name), &Default::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.max_error() <= TOLERANCE, "{name}: {report:?}");
        assert!(report.greedy_tokens_match, "{name}: greedy tokens differ from transformers");
    }
}

#[test]
fn padding_side_does_not_change_real_logits() {
    let model = CausalLm::<Cpu>::load(&fixture("qwen2-f32"), &Default::default()).unwrap();
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
