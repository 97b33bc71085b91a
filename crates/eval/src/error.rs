//! The one error type of the evaluation crate. Engine and data errors pass through unchanged
//! (they already name the file, token or field at fault); the variants of its own say which
//! setting or input of an evaluation is wrong.

use std::path::PathBuf;

use emlab_data::DataError;
use emlab_model::ModelError;

use crate::question_set::QuestionSetProblem;

/// Everything that can go wrong while sampling, judging or reporting.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The engine failed: loading, tokenizing, rendering the chat, or a forward pass.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The data crate failed, e.g. writing a report file.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A sampling setting is out of range.
    #[error("invalid sampling config: {0}")]
    InvalidConfig(String),
    /// A stop or pad token named in the config is not in the tokenizer's vocabulary.
    #[error("token {0:?} is not in the tokenizer's vocabulary")]
    UnknownToken(String),
    /// A response names a prompt its group does not have.
    #[error("response to prompt {prompt}, but the group has {questions} questions")]
    PromptOutOfRange {
        /// The response's prompt index.
        prompt: usize,
        /// How many questions the group has.
        questions: usize,
    },
    /// A judge cannot score what an evaluation needs, broke its contract, or failed.
    #[error("judge: {0}")]
    Judge(String),
    /// A line of a question-set file is valid JSON but not a usable question.
    #[error("{path}:{line}: {problem}")]
    QuestionSet {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: QuestionSetProblem,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_errors_keep_their_message() {
        let model = EvalError::from(ModelError::Chat("no template".into()));
        assert_eq!(model.to_string(), "chat template: no template");
        let data = EvalError::from(DataError::UnknownWord("zebra".into()));
        assert_eq!(data.to_string(), "word \"zebra\" is not in the vocabulary");
    }
}
