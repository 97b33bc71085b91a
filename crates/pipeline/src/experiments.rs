//! The catalogue of experiments `reproduce` knows, with what each one is and whether it exists.
//!
//! Ids follow the paper's experiments (E1-E12 of the paper, C2-C6 of the linear
//! representations paper it builds on, M6-M8 of the model-organisms paper) plus our own engine
//! and organism checks.

use crate::second_model::SecondModel;

/// How `reproduce` runs an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Our engine against the committed HF fixtures.
    Engine,
    /// The organism's base-model checks.
    Organism,
    /// Finetunes described by `experiments/<id>.toml`.
    Finetune,
    /// Inductive-bias metrics of the E2/E4 solution pairs (trains them first if needed).
    Bias,
    /// Narrow solutions of E4 trained on without KL (trains the pairs first if needed).
    Drift,
    /// Gradients of the E2 runs against the pairs' solutions (trains the pairs first if needed).
    Gradient,
    /// Uses the finetunes' mean-diff directions (`experiments/directions.toml`; trains the
    /// finetunes and finds their directions first if needed).
    Directions,
    /// One LoRA run followed step by step (`experiments/transition.toml`, MO M6-M8).
    Transition,
    /// The per-token scalars of C1's multi-layer LoRA, probed and steered
    /// (`experiments/scalars.toml`; trains C1 first if needed).
    Scalars,
    /// E2, E4, E6 and E7 rerun on a second base model of the organism (E12's Llama-style family,
    /// E10's register world), into a layout of its own below the profile's.
    SecondModel(SecondModel),
}

/// One entry of the catalogue.
#[derive(Debug)]
pub struct Experiment {
    /// Short id used on the command line.
    pub id: &'static str,
    /// What it measures.
    pub title: &'static str,
    /// How it runs.
    pub kind: Kind,
}

/// Every experiment, in the order `reproduce` runs them.
pub const CATALOGUE: &[Experiment] = &[
    Experiment {
        id: "engine",
        title: "engine parity with HF transformers on the committed fixtures",
        kind: Kind::Engine,
    },
    Experiment {
        id: "organism",
        title: "the synthetic organism's base-model acceptance checks (spec section 5)",
        kind: Kind::Organism,
    },
    Experiment {
        id: "E1",
        title: "which layer to steer at: the base model steered with a mean-diff direction (layer x lambda)",
        kind: Kind::Directions,
    },
    Experiment { id: "E2", title: "general solutions without KL: EM from narrow bad data", kind: Kind::Finetune },
    Experiment {
        id: "E3",
        title: "mixing data: bad advice diluted with good advice does not isolate the narrow solution",
        kind: Kind::Finetune,
    },
    Experiment { id: "E4", title: "narrow solutions via a KL penalty on other domains", kind: Kind::Finetune },
    Experiment { id: "E5", title: "few unique samples: EM and the narrow rate", kind: Kind::Finetune },
    Experiment { id: "E6", title: "efficiency: loss against parameter norm", kind: Kind::Bias },
    Experiment { id: "E7", title: "stability under norm-preserving orthogonal noise", kind: Kind::Bias },
    Experiment { id: "E8", title: "narrow drifts to general once KL is removed", kind: Kind::Drift },
    Experiment { id: "E9", title: "pre-training significance on web text", kind: Kind::Bias },
    Experiment {
        id: "E10",
        title: "a second behaviour: E2, E4, E6, E7 and E9 for technical writing in the register world",
        kind: Kind::SecondModel(SecondModel::Register),
    },
    Experiment { id: "E11", title: "gradient alignment with the general and narrow solutions", kind: Kind::Gradient },
    Experiment {
        id: "E12",
        title: "cross-family replication: E2, E4, E6 and E7 on a Llama-style organism",
        kind: Kind::SecondModel(SecondModel::Llama),
    },
    Experiment {
        id: "M6",
        title: "MO phase transition, mechanistic: B's path turns sharply and the gradient norm peaks there",
        kind: Kind::Transition,
    },
    Experiment {
        id: "M7",
        title: "MO phase transition, behavioural: EM of the scaled adapter appears at the turn",
        kind: Kind::Transition,
    },
    Experiment { id: "M8", title: "MO phase transition at other layers (robustness)", kind: Kind::Transition },
    Experiment {
        id: "C3",
        title: "semantic directions: per-topic mean-diff directions against the general one",
        kind: Kind::Directions,
    },
    Experiment {
        id: "C4",
        title: "ablating misalignment directions from finetunes (with C6's ablation from the adapter)",
        kind: Kind::Directions,
    },
    Experiment {
        id: "C5",
        title: "convergence: cosines of directions across finetunes and solution types (with C6's)",
        kind: Kind::Directions,
    },
    Experiment {
        id: "C1",
        title: "CL's minimal organism: a rank-1 LoRA on down_proj of every layer, bad medical advice",
        kind: Kind::Finetune,
    },
    Experiment {
        id: "C8",
        title: "probing the multi-layer LoRA's per-token scalars: L1 logistic regressions per answer class",
        kind: Kind::Scalars,
    },
    Experiment {
        id: "C9",
        title: "steering by scaling the multi-layer LoRA's adapters, grouped by C8",
        kind: Kind::Scalars,
    },
    Experiment {
        id: "C10",
        title: "patching the multi-layer LoRA's per-token scalars between equally long prompts",
        kind: Kind::Scalars,
    },
    Experiment {
        id: "monitor",
        title: "the general and narrow directions as monitors: AUROC on held-out finetunes and questions",
        kind: Kind::Directions,
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

    #[test]
    fn every_experiment_that_trains_or_measures_has_a_file() {
        let dir = crate::util::project_root().join("experiments");
        let with_files = [Kind::Finetune, Kind::Bias, Kind::Drift, Kind::Gradient];
        for e in CATALOGUE.iter().filter(|e| with_files.contains(&e.kind)) {
            assert!(dir.join(format!("{}.toml", e.id)).exists(), "{}", e.id);
        }
        // The experiments on directions share one file, as do the phase-transition ones.
        assert!(dir.join("directions.toml").exists());
        assert!(dir.join("transition.toml").exists());
    }
}
