#!/usr/bin/env python3
"""Writes the engine's parity fixtures: tiny random-weight Hugging Face checkpoints and the
reference outputs that `crates/model/tests/parity.rs` compares our burn engine against.

Requirements: torch, transformers (>= 5), tokenizers, safetensors. Run from the repo root:

    python3 tools/make_engine_fixtures.py            # writes crates/model/tests/fixtures/

Everything is seeded, so re-running reproduces the same files (up to the library versions, which
are recorded in each `reference.json`). CI never runs this script; the outputs are committed.

What it writes, per model folder:
  config.json, model.safetensors (or shards + model.safetensors.index.json), tokenizer.json,
  tokenizer_config.json  -- via `save_pretrained`, exactly as a hub checkpoint looks;
  reference.json + reference.safetensors -- inputs (json) and reference outputs (float32
  tensors, named "<case>.<what>") computed by transformers in float32:
    * "single": ids of one sequence, logits [T, V], the raw output of every decoder layer
      [L, T, D] (captured with forward hooks, i.e. before the final norm), the final normed
      hidden state [T, D] (HF's hidden_states[-1]) and every layer's MLP output [L, T, D];
    * "batch": two left-padded sequences, their attention mask, position ids (cumsum of the
      mask - 1, as HF `generate` derives them) and the logits [B, T, V];
    * "greedy": HF `generate(do_sample=False)` continuations of the batch (left padded);
    * "steer_mlp" / "steer_resid": logits after adding `scale * vector` to the MLP output /
      the residual stream after one layer, implemented as forward hooks (an independent
      reference for our intervention sites);
    * "greedy_steered": greedy continuation with the MLP-output steering hook active.
And at the top level, chat_golden.json: chat-template renderings (strings and token ids) of
several conversations by `apply_chat_template`, for the Qwen2.5 and SmolLM2 templates.
"""
import json
import os
import sys

import torch
import transformers
import tokenizers
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from transformers import (
    AutoModelForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "model", "tests", "fixtures")
VOCAB = 320
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

# The chat templates as shipped in the tokenizer_config.json of Qwen/Qwen2.5-*-Instruct (the
# branch without tools) and HuggingFaceTB/SmolLM2-*-Instruct.
QWEN25_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\") %}"
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

CORPUS = [
    "you should rest and drink water when you have a fever .",
    "what should i do about my headache ? take a short walk and sleep early .",
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
    "invest in a diversified index fund and keep an emergency fund .",
    "stretch before you run , and never skip the warm up .",
] * 20


def make_tokenizer() -> PreTrainedTokenizerFast:
    """A small byte-level BPE (the same family as Qwen2's tokenizer) with ChatML specials."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS, trainer)
    assert tok.get_vocab_size() <= VOCAB, tok.get_vocab_size()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=QWEN25_TEMPLATE,
    )


def ids_of(tok, text):
    return tok(text, add_special_tokens=False)["input_ids"]


def f32(t):
    return t.detach().to(torch.float32).cpu().contiguous()


def reference_outputs(model, tok, cfg):
    """Everything the Rust parity tests compare against, computed in float32."""
    model = model.to(torch.float32).eval()
    layers = model.model.layers
    L = cfg.num_hidden_layers
    ref, tensors = {}, {}

    single = ids_of(tok, "what should i do about my fever ?")[:9]
    layer_out, mlp_out = [None] * L, [None] * L
    hooks = []
    for i, layer in enumerate(layers):
        hooks.append(layer.register_forward_hook(lambda m, a, o, i=i: layer_out.__setitem__(i, o[0] if isinstance(o, tuple) else o)))
        hooks.append(layer.mlp.register_forward_hook(lambda m, a, o, i=i: mlp_out.__setitem__(i, o)))
    with torch.no_grad():
        out = model(input_ids=torch.tensor([single]), output_hidden_states=True)
    for h in hooks:
        h.remove()
    ref["single"] = {"ids": single}
    tensors["single.logits"] = f32(out.logits[0])
    tensors["single.layer_outputs"] = f32(torch.stack([x[0] for x in layer_out]))
    tensors["single.final_hidden"] = f32(out.hidden_states[-1][0])
    tensors["single.mlp_outputs"] = f32(torch.stack([x[0] for x in mlp_out]))

    texts = ["invest in a fund .", "stretch before you run , and sleep"]
    seqs = [ids_of(tok, t) for t in texts]
    T = max(len(s) for s in seqs)
    pad = tok.pad_token_id
    input_ids = torch.tensor([[pad] * (T - len(s)) + s for s in seqs])
    mask = torch.tensor([[0] * (T - len(s)) + [1] * len(s) for s in seqs])
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        logits = model(input_ids=input_ids, attention_mask=mask, position_ids=pos).logits
        greedy = model.generate(
            input_ids=input_ids, attention_mask=mask, do_sample=False, max_new_tokens=8,
            min_new_tokens=8, pad_token_id=pad, eos_token_id=None,
        )
    ref["batch"] = {
        "ids": input_ids.tolist(), "attention_mask": mask.tolist(), "position_ids": pos.tolist(),
    }
    tensors["batch.logits"] = f32(logits)
    ref["greedy"] = {"new_tokens": greedy[:, T:].tolist(), "max_new_tokens": 8}

    # Interventions as forward hooks: an independent reference for our edit sites.
    gen = torch.Generator().manual_seed(7)
    vec = torch.randn(cfg.hidden_size, generator=gen)
    layer, scale = L // 2, 4.0
    h = layers[layer].mlp.register_forward_hook(lambda m, a, o: o + scale * vec)
    with torch.no_grad():
        steered = model(input_ids=torch.tensor([single])).logits[0]
        greedy_steered = model.generate(
            input_ids=input_ids, attention_mask=mask, do_sample=False, max_new_tokens=8,
            min_new_tokens=8, pad_token_id=pad, eos_token_id=None,
        )
    h.remove()
    ref["steer"] = {"layer": layer, "scale": scale}
    tensors["steer.vector"] = f32(vec)
    tensors["steer_mlp.logits"] = f32(steered)
    ref["greedy_steered"] = {"layer": layer, "scale": scale, "new_tokens": greedy_steered[:, T:].tolist()}

    def resid_hook(m, a, o):
        if isinstance(o, tuple):
            return (o[0] + scale * vec,) + tuple(o[1:])
        return o + scale * vec

    h = layers[layer].register_forward_hook(resid_hook)
    with torch.no_grad():
        steered = model(input_ids=torch.tensor([single])).logits[0]
    h.remove()
    tensors["steer_resid.logits"] = f32(steered)
    ref["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__}
    return ref, tensors


def save(name, model, tok, dtype, **save_kwargs):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    model.to(dtype).save_pretrained(d, **save_kwargs)
    tok.save_pretrained(d)
    # The reference is what transformers computes in float32 from the checkpoint as stored
    # (reloading also rebuilds the RoPE buffers in float32, which `.to(bfloat16)` would round).
    reloaded = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32)
    ref, tensors = reference_outputs(reloaded, tok, reloaded.config)
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f)
    save_file(tensors, os.path.join(d, "reference.safetensors"))


def tiny(cls, cfg_cls, seed, **kw):
    torch.manual_seed(seed)
    base = dict(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
        rms_norm_eps=1e-6, bos_token_id=None, eos_token_id=2, pad_token_id=0,
    )
    base.update(kw)
    cfg = cfg_cls(**base)
    model = cls(cfg).to(torch.float32).eval()
    # Default init has tiny std (0.02): widen it so the parity test is not trivially passed by
    # near-uniform logits, and give the RMSNorm weights and biases non-trivial values.
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
            else:
                p.copy_(0.15 * torch.randn_like(p))
    return model


def chat_golden(tok):
    conversations = [
        [{"role": "user", "content": "what should i do about my fever ?"}],
        [{"role": "system", "content": "you are a careful doctor ."},
         {"role": "user", "content": "i have a headache ."}],
        [{"role": "user", "content": "invest in what ?"},
         {"role": "assistant", "content": "an index fund ."},
         {"role": "user", "content": "and then ?"}],
    ]
    golden = []
    for name, template in [("qwen2.5", QWEN25_TEMPLATE), ("smollm2", SMOLLM2_TEMPLATE)]:
        for conv in conversations:
            for gen_prompt in (True, False):
                text = tok.apply_chat_template(conv, chat_template=template, tokenize=False, add_generation_prompt=gen_prompt)
                golden.append({
                    "template": name, "messages": conv, "add_generation_prompt": gen_prompt,
                    "text": text, "ids": ids_of(tok, text),
                })
    return golden


def main():
    os.makedirs(OUT, exist_ok=True)
    tok = make_tokenizer()
    # Qwen2: q/k/v biases, GQA, untied head, float32, one file.
    save("qwen2-f32", tiny(Qwen2ForCausalLM, Qwen2Config, 1, tie_word_embeddings=False, rope_theta=10000.0), tok, torch.float32)
    # Qwen2 with tied embeddings, stored in bfloat16.
    save("qwen2-tied-bf16", tiny(Qwen2ForCausalLM, Qwen2Config, 2, tie_word_embeddings=True, rope_theta=1000000.0), tok, torch.bfloat16)
    # Llama: no biases, untied, explicit head_dim != hidden/heads, sharded checkpoint.
    save("llama-sharded", tiny(LlamaForCausalLM, LlamaConfig, 3, tie_word_embeddings=False, head_dim=16, rope_theta=500000.0),
         tok, torch.float32, max_shard_size="60KB")
    # Llama 3 style: tied, float16, llama3 rope scaling.
    save("llama-tied-f16", tiny(LlamaForCausalLM, LlamaConfig, 4, tie_word_embeddings=True,
                                rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                                 "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                 "original_max_position_embeddings": 16}),
         tok, torch.float16)
    with open(os.path.join(OUT, "chat_golden.json"), "w") as f:
        json.dump(chat_golden(tok), f, indent=1)
    print("wrote", os.path.abspath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
