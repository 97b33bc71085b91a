//! The catalogue of experiments `reproduce` knows, with what each one is and whether it exists.
//!
//! Ids follow `../shared/research/paper-spec.md` (E1-E12 of the paper, C2-C6 of the linear
//! representations paper it builds on) plus our own engine check. An experiment that is not
//! implemented says so, with the issue that will add it, instead of pretending to run.

/// One entry of the catalogue.
pub struct Experiment {
    /// Short id used on the command line.
    pub id: &'static str,
    /// What it measures.
    pub title: &'static str,
    /// `None` when implemented; otherwise which piece of work will add it.
    pub pending: Option<&'static str>,
}

/// Every experiment, in the order `reproduce` runs them.
pub const CATALOGUE: &[Experiment] = &[
    Experiment { id: "engine", title: "engine parity with HF transformers on the committed fixtures", pending: None },
    Experiment {
        id: "organism",
        title: "the synthetic organism's base-model acceptance checks (spec section 5)",
        pending: None,
    },
    Experiment {
        id: "quick-em",
        title: "a steering vector trained on bad medical advice only raises EM elsewhere",
        pending: None,
    },
    Experiment {
        id: "quick-narrow",
        title: "the same with a KL penalty on other domains stays narrow (E4 preview)",
        pending: None,
    },
    Experiment {
        id: "E1",
        title: "which layer to steer/train at (mean-diff steering sweep)",
        pending: Some("issue 6 (directions, steering, ablation)"),
    },
    Experiment {
        id: "E2",
        title: "general solutions without KL: EM from narrow bad data",
        pending: Some("issue 4 (finetuning and evaluation)"),
    },
    Experiment {
        id: "E3",
        title: "mixing data does not isolate the narrow solution",
        pending: Some("issue 4 (finetuning and evaluation)"),
    },
    Experiment {
        id: "E4",
        title: "narrow solutions via a KL penalty on other domains",
        pending: Some("issue 4 (finetuning and evaluation)"),
    },
    Experiment { id: "E5", title: "few-sample narrow solutions", pending: Some("issue 4 (finetuning and evaluation)") },
    Experiment {
        id: "E6",
        title: "efficiency: loss against parameter norm",
        pending: Some("issue 5 (inductive-bias metrics)"),
    },
    Experiment {
        id: "E7",
        title: "stability under norm-preserving orthogonal noise",
        pending: Some("issue 5 (inductive-bias metrics)"),
    },
    Experiment {
        id: "E8",
        title: "narrow drifts to general once KL is removed",
        pending: Some("issue 5 (inductive-bias metrics)"),
    },
    Experiment {
        id: "E9",
        title: "pre-training significance on web text",
        pending: Some("issue 5 (inductive-bias metrics)"),
    },
    Experiment {
        id: "E10",
        title: "a second narrow domain (technical writing analogue)",
        pending: Some("not yet filed"),
    },
    Experiment {
        id: "E11",
        title: "gradient alignment with the general and narrow solutions",
        pending: Some("issue 5 (inductive-bias metrics)"),
    },
    Experiment {
        id: "E12",
        title: "cross-family replication (Llama, SmolLM2)",
        pending: Some("issue 7 (paper scale on CUDA)"),
    },
    Experiment {
        id: "C4",
        title: "ablating misalignment directions",
        pending: Some("issue 6 (directions, steering, ablation)"),
    },
    Experiment {
        id: "C5",
        title: "convergence of directions across finetunes",
        pending: Some("issue 6 (directions, steering, ablation)"),
    },
];

/// Looks an experiment up by id (case-insensitive).
pub fn find(id: &str) -> Option<&'static Experiment> {
    CATALOGUE.iter().find(|e| e.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found_case_insensitively() {
        for e in CATALOGUE {
            assert_eq!(CATALOGUE.iter().filter(|x| x.id == e.id).count(), 1, "{}", e.id);
        }
        assert_eq!(find("e4").unwrap().id, "E4");
        assert!(find("E99").is_none());
    }
}
