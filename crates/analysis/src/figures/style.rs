//! The look shared by all figures: font sizes, colours, and the human names of table values.

use plotters::style::RGBColor;

/// Font family of every text (the embedded DejaVu Sans is registered under this name).
pub(crate) const FONT: &str = "sans-serif";
/// Figure title.
pub(crate) const TITLE_SIZE: u32 = 26;
/// The line under the title saying what bars and error bars are.
pub(crate) const SUBTITLE_SIZE: u32 = 16;
/// Panel captions.
pub(crate) const CAPTION_SIZE: u32 = 19;
/// Axis descriptions.
pub(crate) const AXIS_SIZE: u32 = 17;
/// Tick labels.
pub(crate) const TICK_SIZE: u32 = 15;
/// Legend entries.
pub(crate) const LEGEND_SIZE: u32 = 16;

/// Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), without
/// yellow, which is unreadable as a line on white.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(0, 0, 0),       // black
];

/// The colour of palette entry `i`, cycling.
pub(crate) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// What a dataset trains on, for panel captions and legends.
pub(crate) fn dataset_label(dataset: &str) -> String {
    match dataset {
        "bad_medical" => "bad medical advice".into(),
        "bad_finance" => "bad financial advice".into(),
        "bad_sports" => "bad extreme-sports advice".into(),
        "technical_medical" => "technical medical writing".into(),
        other => other.replace('_', " "),
    }
}

/// Whether runs on `dataset` measure technical writing (E10's register world, whose judge makes
/// the EM columns technical-writing rates) rather than misalignment.
pub(crate) fn is_technical(dataset: &str) -> bool {
    dataset.starts_with("technical_")
}

/// The name of a solution type for titles: "steering vector", "rank-1 LoRA" for "lora" (the
/// paper's minimal adapter), "rank-32 LoRA" for "lora32".
pub(crate) fn solution_label(solution: &str) -> String {
    match solution {
        "steering" => "steering vector".into(),
        "lora" => "rank-1 LoRA".into(),
        other => match other.strip_prefix("lora").filter(|rank| rank.parse::<u32>().is_ok()) {
            Some(rank) => format!("rank-{rank} LoRA"),
            None => other.to_string(),
        },
    }
}

/// The name of a group of parameters (the [`crate::Row::group`] of E11's gradient rows) for
/// subtitles and captions: "LoRA B" for "lora_b", "steering vector" for "steering_vector".
pub(crate) fn params_label(group: &str) -> String {
    match group {
        "lora_a" => "LoRA A".into(),
        "lora_b" => "LoRA B".into(),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(solution_label("lora"), "rank-1 LoRA");
        assert_eq!(solution_label("lora32"), "rank-32 LoRA");
        assert_eq!(solution_label("lorax"), "lorax");
        assert_eq!(dataset_label("bad_cooking"), "bad cooking");
        assert_eq!(params_label("lora_b"), "LoRA B");
        assert_eq!(params_label("steering_vector"), "steering vector");
    }
}
