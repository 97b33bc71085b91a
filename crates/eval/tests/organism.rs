//! The committed synthetic organism (`models/organism`) passes its acceptance checks
//! (organism spec section 5): a regression test for the world, the pretraining and the judge.

use std::path::PathBuf;

use emlab_data::{eval_groups, EVAL_SEED};
use emlab_eval::checks::base_model_checks;
use emlab_eval::SamplingConfig;
use emlab_model::{CausalLm, ChatTemplate, Tokenizer};

use emlab_model::backend::Cpu;

fn organism_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/organism")
}

#[test]
fn committed_base_model_passes_the_acceptance_checks() {
    let dir = organism_dir();
    let model = CausalLm::<Cpu>::load(&dir, &Default::default()).unwrap();
    let tokenizer = Tokenizer::from_dir(&dir).unwrap();
    let template = ChatTemplate::from_dir(&dir).unwrap();
    let checks =
        base_model_checks(&model, &tokenizer, &template, &eval_groups(EVAL_SEED), &SamplingConfig::default()).unwrap();
    let failed: Vec<_> = checks.results.iter().filter(|r| !r.passed).collect();
    assert!(failed.is_empty(), "failed checks: {failed:#?}");
}
