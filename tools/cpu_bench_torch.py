#!/usr/bin/env python3
"""The PyTorch + transformers + peft side of `cargo xtask bench-cpu`.

`bench-cpu` writes a JSON spec of its workloads (the organism's real finetuning batches and
evaluation prompts as token ids, the random models' shapes) and runs this script on it, so both
sides run the same tokens through the same shapes in the same run on the same machine. The
workloads follow `shared/anchors/cpu_anchor.py` (the project's CPU anchor), with the project's
own inputs instead of random ids:

- organism steering step: a trainable vector added to layer L's MLP output, answer-only
  cross-entropy on the padded SFT batch (attention mask on the padding), AdamW;
- organism KL steering step: the same plus `weight * KL(P_base || P_steered)`, a per-token mean
  over the real tokens of the KL batch, the base pass detached with the vector switched off;
- organism rank-1 LoRA step: peft rsLoRA on `layers[L].mlp.down_proj`;
- organism sampling: every evaluation prompt continued `samples` times in one `generate` batch,
  temperature 1, top-p 1, up to `max_new_tokens`, stopping at the stop ids;
- a random ~100M Qwen2: forward of 1 x 128 tokens and greedy decoding with the KV cache;
- a random SmolLM2-135M-shaped Llama: sampling `batch` rows of a fixed number of new tokens.

Times are medians over `repeats` runs after one warm-up, with torch's threads set to the
machine's cores. Prints one JSON object on stdout: per workload, the seconds per run and the
units done per run (tokens, answers).

Usage: python tools/cpu_bench_torch.py SPEC.json
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import transformers
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

spec = json.load(open(sys.argv[1]))
torch.set_num_threads(spec.get("threads") or os.cpu_count())
torch.manual_seed(0)
repeats = spec["repeats"]
out = {
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "threads": torch.get_num_threads(),
    "workloads": {},
}


def timed(fn, n):
    """Median seconds of `n` calls of `fn` after one untimed call."""
    fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


selected = set(spec["workloads"])


def measure(name, fn, n, units):
    """Times `fn` if workload `name` is selected; `units` is what one call does."""
    if name in selected:
        out["workloads"][name] = {"seconds": timed(fn, n), "units": units}


def padded(batch):
    """ids, attention mask and per-target weights of a next-token batch from the spec."""
    ids = torch.tensor(batch["ids"], dtype=torch.long)
    mask = torch.tensor(batch["mask"], dtype=torch.long)
    targets = torch.tensor(batch["targets"], dtype=torch.long)
    weights = torch.tensor(batch["weights"], dtype=torch.float32)
    return ids, mask, targets, weights


def organism_training(org):
    model = AutoModelForCausalLM.from_pretrained(org["dir"], dtype=torch.float32).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    vocab = model.config.vocab_size
    ids, mask, targets, weights = padded(org["sft"])
    kl_ids, kl_mask, _, _ = padded(org["kl"])
    kl_real = kl_mask.float()
    layer = org["layer"]
    vec = torch.zeros(model.config.hidden_size, requires_grad=True)
    state = {"on": True}
    hook = model.model.layers[layer].mlp.register_forward_hook(lambda m, i, o: o + vec if state["on"] else o)
    opt = torch.optim.AdamW([vec], lr=org["lr"])

    def sft_loss(net):
        logits = net(input_ids=ids, attention_mask=mask).logits
        ce = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1), reduction="none")
        return (ce * weights.reshape(-1)).sum() / weights.sum()

    def steer_step():
        opt.zero_grad()
        sft_loss(model).backward()
        opt.step()

    def kl_step():
        opt.zero_grad()
        with torch.no_grad():
            state["on"] = False
            base = F.log_softmax(model(input_ids=kl_ids, attention_mask=kl_mask).logits, -1)
            state["on"] = True
        cur = F.log_softmax(model(input_ids=kl_ids, attention_mask=kl_mask).logits, -1)
        kl = ((base.exp() * (base - cur)).sum(-1) * kl_real).sum() / kl_real.sum()
        (sft_loss(model) + org["kl_weight"] * kl).backward()
        opt.step()

    measure("organism_steering_step", steer_step, repeats, ids.numel())
    measure("organism_kl_steering_step", kl_step, repeats, ids.numel() + kl_ids.numel())
    hook.remove()

    from peft import LoraConfig, get_peft_model

    lora = get_peft_model(
        model,
        LoraConfig(r=1, lora_alpha=1, use_rslora=True, target_modules=["down_proj"], layers_to_transform=[layer]),
    )
    lopt = torch.optim.AdamW([p for p in lora.parameters() if p.requires_grad], lr=org["lr"])

    def lora_step():
        lopt.zero_grad()
        sft_loss(lora).backward()
        lopt.step()

    measure("organism_lora_r1_step", lora_step, repeats, ids.numel())
    return lora.unload()


def organism_sampling(model, org):
    s = org["sampling"]

    def sample():
        answers = 0
        for prompt in s["prompts"]:
            rows = torch.tensor([prompt] * s["samples"], dtype=torch.long)
            model.generate(
                rows, attention_mask=torch.ones_like(rows), do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                max_new_tokens=s["max_new_tokens"], eos_token_id=s["stop_ids"], pad_token_id=s["pad_id"],
            )
            answers += rows.shape[0]
        return answers

    with torch.no_grad():
        measure("organism_sampling", sample, spec["sampling_repeats"], len(s["prompts"]) * s["samples"])


def random_model(shape):
    common = dict(
        vocab_size=shape["vocab_size"], hidden_size=shape["hidden_size"],
        intermediate_size=shape["intermediate_size"], num_hidden_layers=shape["num_hidden_layers"],
        num_attention_heads=shape["num_attention_heads"], num_key_value_heads=shape["num_key_value_heads"],
        tie_word_embeddings=shape["tie_word_embeddings"],
    )
    if shape["architecture"] == "qwen2":
        return Qwen2ForCausalLM(Qwen2Config(**common)).eval()
    return LlamaForCausalLM(LlamaConfig(**common)).eval()


def ids_of(shape, rows, length, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(4, shape["vocab_size"], (rows, length), generator=g)


def q100m(q):
    model = random_model(q["shape"])
    with torch.no_grad():
        b, t = q["forward"]
        x = ids_of(q["shape"], b, t, 0)
        measure("q100m_forward", lambda: model(x), max(3, -(-repeats // 2)), b * t)
        p = ids_of(q["shape"], 1, q["greedy_prompt"], 1)
        new = q["greedy_new_tokens"]
        greedy = lambda: model.generate(  # noqa: E731
            p, attention_mask=torch.ones_like(p), max_new_tokens=new, min_new_tokens=new, do_sample=False,
            pad_token_id=0,
        )
        measure("q100m_greedy", greedy, 3, new)


def smollm2(s):
    model = random_model(s["shape"])
    p = ids_of(s["shape"], s["batch"], s["prompt"], 2)
    new = s["new_tokens"]
    with torch.no_grad():
        run = lambda: model.generate(  # noqa: E731
            p, attention_mask=torch.ones_like(p), do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
            max_new_tokens=new, min_new_tokens=new, pad_token_id=0,
        )
        measure("smollm2_sampling", run, 2, s["batch"] * new)


if selected & {"organism_steering_step", "organism_kl_steering_step", "organism_lora_r1_step", "organism_sampling"}:
    base = organism_training(spec["organism"])
    if "organism_sampling" in selected:
        organism_sampling(base, spec["organism"])
if selected & {"q100m_forward", "q100m_greedy"}:
    q100m(spec["q100m"])
if "smollm2_sampling" in selected:
    smollm2(spec["smollm2"])
print(json.dumps(out))
