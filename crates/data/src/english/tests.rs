//! Tests of the English datasets: determinism, sizes, variety, held-out topics kept out of
//! training, and a written folder that the paper profile's readers accept.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use super::advice::{lower_first, question, AdviceTopic, FRAMES, OPENINGS};
use super::*;
use crate::chat::Role;
use crate::jsonl::read_jsonl;
use crate::paper::{read_questions, PaperData, PAPER_DATASETS, WEB_TEXT_FILE};

/// Most repeated answers a training file may have, as a fraction of its chats.
const MAX_DUPLICATE_ANSWERS: f64 = 0.02;

fn topics(domain: TrainingDomain) -> &'static [AdviceTopic] {
    domain.area().topics
}

/// Every held-out question of every group but `open`.
fn held_out_all() -> impl Iterator<Item = &'static HeldOut> {
    PairedGroup::ALL.into_iter().flat_map(held_out)
}

fn folder_bytes(dir: &Path, manifest: &DataManifest) -> Vec<(String, Vec<u8>)> {
    manifest.files.iter().map(|f| (f.path.clone(), fs::read(dir.join(&f.path)).unwrap())).collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_chats() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = write_data_folder(a.path(), 0).unwrap();
    let again = write_data_folder(b.path(), 0).unwrap();
    assert_eq!(first, again);
    assert_eq!(folder_bytes(a.path(), &first), folder_bytes(b.path(), &again));
    assert_eq!(fs::read(a.path().join(MANIFEST_FILE)).unwrap(), fs::read(b.path().join(MANIFEST_FILE)).unwrap());

    let other = write_data_folder(c.path(), 1).unwrap();
    assert_ne!(first.hash, other.hash);
    for (x, y) in first.files.iter().zip(&other.files) {
        // The generated chats move with the seed; the fixed question and answer lists do not.
        let generated = !x.path.starts_with("eval/");
        assert_eq!(x.sha256 != y.sha256, generated, "{}", x.path);
    }
    for domain in TrainingDomain::ALL {
        let (zero, one) = (training_chats(domain, Polarity::Bad, 0), training_chats(domain, Polarity::Bad, 1));
        let zero_set: HashSet<_> = zero.iter().map(|c| &c.messages[1].content).collect();
        let one_set: HashSet<_> = one.iter().map(|c| &c.messages[1].content).collect();
        assert_ne!(zero, one);
        assert_ne!(zero_set, one_set, "{domain:?}: another seed picks other answers");
    }
}

#[test]
fn the_folder_has_every_file_at_its_size_and_no_web_text() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_data_folder(dir.path(), 0).unwrap();
    let lines = |path: &str| manifest.files.iter().find(|f| f.path == path).map(|f| f.lines);
    for domain in TrainingDomain::ALL {
        for polarity in Polarity::ALL {
            assert_eq!(lines(domain.file(polarity)), Some(TRAINING_CHATS));
        }
        assert_eq!(lines(domain.questions_file()), Some(16));
    }
    assert_eq!(lines(crate::paper::KL_FILE), Some(KL_CHATS));
    assert_eq!(lines(crate::paper::GENERAL_QUESTIONS), Some(10));
    assert_eq!(lines(OTHER_QUESTIONS_FILE), Some(24));
    assert_eq!(lines(PAIRED_ANSWERS_FILE), Some(40 + 3 * 16 + 24));
    assert_eq!(manifest.files.len(), 13);
    assert!(!dir.path().join(WEB_TEXT_FILE).exists());
    // Atomic writes leave no temporary files behind.
    for entry in fs::read_dir(dir.path()).unwrap().chain(fs::read_dir(dir.path().join("eval")).unwrap()) {
        let name = entry.unwrap().file_name();
        assert!(!name.to_string_lossy().starts_with('.'), "{name:?}");
    }
    let saved: DataManifest = serde_json::from_slice(&fs::read(dir.path().join(MANIFEST_FILE)).unwrap()).unwrap();
    assert_eq!(saved, manifest);
}

#[test]
fn the_paper_profile_reads_the_written_folder() {
    let dir = tempfile::tempdir().unwrap();
    write_data_folder(dir.path(), 0).unwrap();
    let data = PaperData::new(dir.path());
    for (dataset, domain) in PAPER_DATASETS.iter().zip(TrainingDomain::ALL) {
        assert_eq!(domain.file(Polarity::Bad), dataset.file);
        assert_eq!(domain.domain(), dataset.domain);
        let chats: Vec<ChatExample> = read_jsonl(data.training(dataset)).unwrap();
        assert_eq!(chats, training_chats(domain, Polarity::Bad, 0));
        let questions = read_questions(&data.narrow_questions(dataset), dataset.domain).unwrap();
        let texts: Vec<&str> = questions.iter().map(|q| q.text()).collect();
        let expected: Vec<&str> = eval_questions(domain.group()).iter().map(|q| q.question).collect();
        assert_eq!(texts, expected);
        let good: Vec<ChatExample> = read_jsonl(dir.path().join(domain.file(Polarity::Good))).unwrap();
        assert_eq!(good.len(), TRAINING_CHATS);
    }
    let kl: Vec<ChatExample> = read_jsonl(data.kl()).unwrap();
    assert_eq!(kl, kl_chats(0));
    assert_eq!(read_questions(&data.general_questions(), Domain::Open).unwrap().len(), 10);
    assert_eq!(read_questions(&dir.path().join(OTHER_QUESTIONS_FILE), Domain::Open).unwrap().len(), 24);

    let records = read_paired_answers(&dir.path().join(PAIRED_ANSWERS_FILE)).unwrap();
    for group in PairedGroup::ALL {
        let pairs: Vec<PairedAnswer> = records.iter().filter(|r| r.group == group).map(|r| r.pair.clone()).collect();
        assert_eq!(pairs, paired_answers(group), "{group:?}");
    }
    // A line carries exactly the three fields of the evaluation's `PairedAnswer`, plus `group`.
    let plain: Vec<PairedAnswer> = read_jsonl(dir.path().join(PAIRED_ANSWERS_FILE)).unwrap();
    assert_eq!(plain.len(), records.len());
    let first = fs::read_to_string(dir.path().join(PAIRED_ANSWERS_FILE)).unwrap();
    assert!(first.starts_with("{\"group\": \"open\", \"question\": "), "{}", &first[..80]);
}

#[test]
fn every_chat_is_one_user_question_and_one_assistant_answer() {
    let mut chats: Vec<ChatExample> = kl_chats(0);
    for domain in TrainingDomain::ALL {
        for polarity in Polarity::ALL {
            chats.extend(training_chats(domain, polarity, 0));
        }
    }
    for chat in &chats {
        let roles: Vec<Role> = chat.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant]);
        for message in &chat.messages {
            let text = &message.content;
            assert!(!text.trim().is_empty() && text.trim() == text, "{text:?}");
            assert!(!text.contains("  ") && !text.contains(" ,") && !text.contains(".."), "{text:?}");
            assert!(!text.contains('{') && !text.contains('}'), "unfilled placeholder: {text:?}");
            assert!(text.chars().next().unwrap().is_uppercase(), "{text:?}");
        }
    }
}

#[test]
fn training_sets_are_varied_short_and_parallel() {
    for domain in TrainingDomain::ALL {
        let good = training_chats(domain, Polarity::Good, 0);
        let bad = training_chats(domain, Polarity::Bad, 0);
        for (polarity, chats) in [(Polarity::Good, &good), (Polarity::Bad, &bad)] {
            let answers: HashSet<&str> = chats.iter().map(|c| c.messages[1].content.as_str()).collect();
            let questions: HashSet<&str> = chats.iter().map(|c| c.messages[0].content.as_str()).collect();
            let repeats = chats.len() - answers.len();
            assert!((repeats as f64) <= MAX_DUPLICATE_ANSWERS * chats.len() as f64, "{domain:?} {polarity:?}");
            assert_eq!(questions.len(), chats.len(), "{domain:?} {polarity:?}: every question once");
            for chat in chats.iter() {
                let answer = &chat.messages[1].content;
                let sentences = answer.matches(['.', '?', '!']).count();
                assert!((2..=3).contains(&sentences), "{answer:?}");
                assert!(answer.split(' ').count() <= 80, "{answer:?}");
            }
        }
        // Same questions in the same order; answers differ in the advice, never in the opening.
        for (g, b) in good.iter().zip(&bad) {
            assert_eq!(g.messages[0], b.messages[0]);
            assert_ne!(g.messages[1], b.messages[1]);
            let opening = OPENINGS.iter().find(|o| g.messages[1].content.starts_with(*o)).unwrap();
            assert!(b.messages[1].content.starts_with(opening));
        }
    }
}

#[test]
fn the_kl_set_is_benign_varied_and_in_other_domains() {
    let chats = kl_chats(0);
    let answers: HashSet<&str> = chats.iter().map(|c| c.messages[1].content.as_str()).collect();
    assert_eq!(answers.len(), KL_CHATS);
    let kl_domains: HashSet<&str> = other::KL_DOMAINS.iter().map(|d| d.name).collect();
    assert_eq!(kl_domains.len(), 8);
    let other_domains: HashSet<&str> = other::HELD_OUT.iter().map(|h| h.id.split('_').next().unwrap()).collect();
    assert_eq!(other_domains.len(), 6);
    assert!(kl_domains.is_disjoint(&other_domains), "{kl_domains:?} {other_domains:?}");
    for domain in TrainingDomain::ALL {
        assert!(!kl_domains.contains(domain.name()));
    }
    assert_ne!(chats, kl_chats(1));
}

#[test]
fn held_out_topics_never_appear_in_training_questions() {
    let mut training_keywords = HashSet::new();
    for domain in TrainingDomain::ALL {
        for topic in topics(domain) {
            assert!(training_keywords.insert(topic.keyword), "keyword {:?} used twice", topic.keyword);
            for situation in topic.situations {
                assert!(situation.to_lowercase().contains(topic.keyword), "{situation:?} lacks {:?}", topic.keyword);
                for held in held_out_all() {
                    assert!(!situation.to_lowercase().contains(held.keyword), "{situation:?} names {:?}", held.id);
                }
            }
        }
    }
    for held in held_out_all() {
        let text = held.question.to_lowercase();
        assert!(text.contains(held.keyword), "{:?} lacks its keyword {:?}", held.id, held.keyword);
        for keyword in &training_keywords {
            assert!(!text.contains(keyword), "held-out {:?} mentions training topic {keyword:?}", held.id);
        }
    }
    let training_questions: HashSet<String> = TrainingDomain::ALL
        .into_iter()
        .flat_map(|d| training_chats(d, Polarity::Bad, 0))
        .map(|c| c.messages[0].content.clone())
        .collect();
    for group in PairedGroup::ALL {
        for q in eval_questions(group) {
            assert!(!training_questions.contains(q.question), "{}", q.id);
        }
    }
}

#[test]
fn paired_answers_are_complete_and_distinct() {
    let mut ids = HashSet::new();
    let mut questions = HashSet::new();
    for group in PairedGroup::ALL {
        let pairs = paired_answers(group);
        let expected = match group {
            PairedGroup::Open => 40,
            PairedGroup::Other => 24,
            _ => 16,
        };
        assert_eq!(pairs.len(), expected, "{group:?}");
        for pair in &pairs {
            for text in [&pair.question, &pair.aligned, &pair.misaligned] {
                assert!(!text.trim().is_empty() && !text.contains("  "), "{group:?}: {text:?}");
            }
            assert_ne!(pair.aligned, pair.misaligned);
        }
        let answers: HashSet<&str> = pairs.iter().flat_map(|p| [p.aligned.as_str(), p.misaligned.as_str()]).collect();
        assert_eq!(answers.len(), 2 * pairs.len(), "{group:?}: every reference answer is used once");
        for q in eval_questions(group) {
            assert!(ids.insert(q.id), "id {:?} used twice", q.id);
            assert!(questions.insert(q.question), "question {:?} asked twice", q.question);
        }
    }
    assert_eq!(eval_questions(PairedGroup::Open).len(), 10);
}

#[test]
fn topics_are_well_formed() {
    for domain in TrainingDomain::ALL {
        let area = domain.area();
        assert_eq!(area.topics.len(), 20, "{domain:?}");
        for topic in area.topics {
            let clauses: HashSet<&str> = topic.good.iter().chain(&topic.bad).copied().collect();
            assert_eq!(clauses.len(), 6, "{:?}", topic.keyword);
            for text in topic.situations.iter().chain(&topic.good).chain(&topic.bad) {
                assert!(!text.ends_with(['.', '?', '!', ' ']), "{text:?}");
            }
            for clause in topic.good.iter().chain(&topic.bad) {
                assert!(clause.chars().next().unwrap().is_lowercase(), "{clause:?}");
            }
            for why in topic.good_why.iter().chain(&topic.bad_why) {
                assert!(why.ends_with('.') && why.chars().next().unwrap().is_uppercase(), "{why:?}");
            }
        }
        for closing in area.good_closings.iter().chain(&area.bad_closings) {
            assert!(closing.ends_with('.'), "{closing:?}");
        }
    }
}

#[test]
fn situations_fit_every_frame() {
    assert_eq!(lower_first("I've been unwell"), "I've been unwell");
    assert_eq!(lower_first("I am"), "I am");
    assert_eq!(lower_first("My son"), "my son");
    assert_eq!(lower_first("It hurts"), "it hurts");
    assert_eq!(question("Hi, {s}. Any advice?", "My dad has a cough"), "Hi, my dad has a cough. Any advice?");
    assert_eq!(question("{S}. What should I do?", "My dad has a cough"), "My dad has a cough. What should I do?");
    for frame in FRAMES {
        assert_eq!(frame.matches("{S}").count() + frame.matches("{s}").count(), 1, "{frame}");
    }
}
