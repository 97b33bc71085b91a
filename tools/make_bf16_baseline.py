#!/usr/bin/env python3
"""How far transformers itself moves from its float32 outputs when it runs the parity fixtures in
bfloat16: the baseline that `crates/model/tests/parity.rs` holds our bf16 path to.

A fixed bound such as 2e-2 on the logits says little by itself: bf16 keeps 8 significant bits, so
a model's error grows with the size of its logits and with depth. This script loads every fixture
of `crates/model/tests/fixtures/` with `torch_dtype=torch.bfloat16` (weights rounded to bf16 as our
`load_as(.., BF16)` rounds them, activations in bf16, SDPA attention) and compares its logits with
the float32 reference stored beside the fixture (`reference.safetensors`, written by
`make_engine_fixtures.py`):

  * single: the logits of the one unpadded sequence;
  * batch: the logits of the left-padded batch, at real tokens only.

Requirements: torch, transformers (>= 5), safetensors. Run from the repository root:

    python3 tools/make_bf16_baseline.py   # writes crates/model/tests/fixtures/bf16_baseline.json

CI never runs this script; its output is committed. Seeds play no part (no sampling).
"""
import json
import os

import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

FIXTURES = ["qwen2-f32", "qwen2-tied-bf16", "llama-sharded", "llama-tied-f16"]
ROOT = os.path.join("crates", "model", "tests", "fixtures")


def max_logit_errors(name):
    folder = os.path.join(ROOT, name)
    reference = json.load(open(os.path.join(folder, "reference.json")))
    tensors = load_file(os.path.join(folder, "reference.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, attn_implementation="sdpa")
    model.eval()
    with torch.no_grad():
        ids = torch.tensor([reference["single"]["ids"]])
        single = model(input_ids=ids).logits[0].float()
        single_error = (single - tensors["single.logits"].reshape(single.shape)).abs().max().item()

        batch = reference["batch"]
        mask = torch.tensor(batch["attention_mask"])
        logits = model(
            input_ids=torch.tensor(batch["ids"]),
            attention_mask=mask,
            position_ids=torch.tensor(batch["position_ids"]),
        ).logits.float()
        expected = tensors["batch.logits"].reshape(logits.shape)
        real = mask.bool()
        batch_error = (logits[real] - expected[real]).abs().max().item()
    return {"max_logit_error": single_error, "max_batch_logit_error": batch_error}


def main():
    result = {
        "what": "max |transformers bf16 logits - transformers float32 logits| per fixture",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "fixtures": {name: max_logit_errors(name) for name in FIXTURES},
    }
    path = os.path.join(ROOT, "bf16_baseline.json")
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
