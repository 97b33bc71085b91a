#!/usr/bin/env python3
"""Writes the PEFT interoperability fixture of `crates/train/tests/lora_peft.rs`.

Requirements: torch, transformers (>= 5), peft, safetensors. Run from the repo root after
`tools/make_engine_fixtures.py` (it adapts that script's `qwen2-f32` checkpoint):

    python3 tools/make_peft_fixture.py      # writes crates/train/tests/fixtures/peft-qwen2/

The adapter is a rank-2 rsLoRA (alpha 8) on `q_proj` and `down_proj` of layer 1, with A and B
set to seeded random values (B is zero at PEFT's init, which would make the test vacuous).
Saved with `save_pretrained`, so the folder is exactly what PEFT writes; `reference.safetensors`
holds the logits peft computes with the adapter active, for the token ids in `reference.json`.
"""
import json
import os

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

ROOT = os.path.join(os.path.dirname(__file__), "..")
BASE = os.path.join(ROOT, "crates", "model", "tests", "fixtures", "qwen2-f32")
OUT = os.path.join(ROOT, "crates", "train", "tests", "fixtures", "peft-qwen2")


def main():
    torch.manual_seed(11)
    model = AutoModelForCausalLM.from_pretrained(BASE, dtype=torch.float32).eval()
    config = LoraConfig(r=2, lora_alpha=8, use_rslora=True, target_modules=["q_proj", "down_proj"],
                        layers_to_transform=[1], lora_dropout=0.0, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.copy_(0.3 * torch.randn_like(p))
    ids = [5, 9, 13, 2, 40, 77, 3, 120]
    with torch.no_grad():
        logits = peft_model(input_ids=torch.tensor([ids])).logits[0].contiguous()
    os.makedirs(OUT, exist_ok=True)
    # Name the base model relatively, and drop the model card PEFT writes beside the adapter.
    peft_model.peft_config["default"].base_model_name_or_path = "qwen2-f32"
    peft_model.save_pretrained(OUT)
    os.remove(os.path.join(OUT, "README.md"))
    save_file({"logits": logits}, os.path.join(OUT, "reference.safetensors"))
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"ids": ids}, f)
    print("wrote", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
