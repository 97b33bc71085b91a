//! Supervised finetuning data: chat examples as token sequences with a loss weight per token.
//!
//! The default objective is the answer-only loss: cross-entropy on the assistant's answer
//! tokens and the `<|im_end|>` that closes each answer, with the system prompt, the question
//! and the `<|im_start|>assistant` header masked. [`LossScope::Sequence`] counts every token
//! instead (the authors' steering-vector code effectively does this).

use emlab_data::ChatExample;
use emlab_model::{ChatTemplate, Role, TokenBatch, Tokenizer};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Which tokens the loss counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossScope {
    /// Assistant answers and their closing `<|im_end|>`.
    #[default]
    Answers,
    /// Every token of the rendered conversation.
    Sequence,
}

/// One rendered conversation with a loss weight per token.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedTokens {
    /// Token ids of the rendered conversation.
    pub ids: Vec<u32>,
    /// 1.0 where the token is predicted in the loss, else 0.0.
    pub weights: Vec<f32>,
}

/// Renders `example` with `template` (the model's default system prompt inserted as usual) and
/// weights its tokens according to `scope`.
pub fn weighted_tokens(
    template: &ChatTemplate,
    tokenizer: &Tokenizer,
    example: &ChatExample,
    scope: LossScope,
) -> Result<WeightedTokens> {
    let rendered = template.render(tokenizer, &example.messages, false)?;
    let mut weights = vec![0.0; rendered.ids.len()];
    for span in &rendered.spans {
        let counted = match scope {
            LossScope::Sequence => span.block.clone(),
            // content.end is the <|im_end|> closing the answer.
            LossScope::Answers if span.role == Role::Assistant => span.content.start..span.content.end + 1,
            LossScope::Answers => continue,
        };
        weights[counted].iter_mut().for_each(|w| *w = 1.0);
    }
    Ok(WeightedTokens { ids: rendered.ids, weights })
}

/// A right-padded next-token batch: inputs are each sequence but its last token, targets the
/// sequence shifted by one, and each target keeps its token's weight (padding weighs 0).
pub fn next_token_batch(seqs: &[&WeightedTokens], pad: u32) -> (TokenBatch, Vec<u32>, Vec<f32>) {
    let len = seqs.iter().map(|s| s.ids.len()).max().unwrap_or(1).saturating_sub(1).max(1);
    let (mut ids, mut mask, mut targets, mut weights) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for seq in seqs {
        for i in 0..len {
            let real = i + 1 < seq.ids.len();
            ids.push(if i < seq.ids.len() { seq.ids[i] } else { pad });
            mask.push(i < seq.ids.len());
            targets.push(if real { seq.ids[i + 1] } else { pad });
            weights.push(if real { seq.weights[i + 1] } else { 0.0 });
        }
    }
    (TokenBatch::new(ids, mask, seqs.len(), len).expect("shapes agree by construction"), targets, weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use emlab_data::Vocab;

    fn organism_chat() -> (ChatTemplate, Tokenizer) {
        let dir = tempfile::tempdir().unwrap();
        Vocab::world().write_tokenizer_files(dir.path()).unwrap();
        (ChatTemplate::from_dir(dir.path()).unwrap(), Tokenizer::from_dir(dir.path()).unwrap())
    }

    #[test]
    fn answer_scope_weights_the_answer_and_its_end_token_only() {
        let (template, tokenizer) = organism_chat();
        let example = ChatExample::single_turn("i have a fever . what should i do ?", "you should rest in bed .");
        let w = weighted_tokens(&template, &tokenizer, &example, LossScope::Answers).unwrap();
        let counted: Vec<u32> = w.ids.iter().zip(&w.weights).filter(|(_, &x)| x > 0.0).map(|(&i, _)| i).collect();
        assert_eq!(tokenizer.decode(&counted, false).unwrap(), "you should rest in bed . <|im_end|>");
        let all = weighted_tokens(&template, &tokenizer, &example, LossScope::Sequence).unwrap();
        assert!(all.weights.iter().all(|&x| x == 1.0));
    }

    #[test]
    fn next_token_batch_shifts_and_pads() {
        let a = WeightedTokens { ids: vec![5, 6, 7], weights: vec![0.0, 1.0, 1.0] };
        let b = WeightedTokens { ids: vec![8, 9], weights: vec![0.0, 1.0] };
        let (batch, targets, weights) = next_token_batch(&[&a, &b], 0);
        assert_eq!(batch.dims(), [2, 2]);
        assert_eq!(batch.ids(), &[5, 6, 8, 9]);
        assert_eq!(targets, vec![6, 7, 9, 0]);
        assert_eq!(weights, vec![1.0, 1.0, 1.0, 0.0]);
    }
}
