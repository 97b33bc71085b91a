#!/usr/bin/env python3
"""Writes the GGUF parity fixtures: tiny random-weight llama / qwen2 models stored as GGUF files the
way llama.cpp's `convert_hf_to_gguf.py` writes them, and what Hugging Face transformers' own GGUF
loader computes from those files. `crates/model` loads the same files and must agree.

Requirements: torch, transformers (>= 5, with its GGUF support), gguf (gguf-py), numpy,
tokenizers. Written and run with torch 2.15.0, transformers 5.25.0, gguf 0.19.0 (the exact versions
are recorded in every `expected.json`). Run from the repo root:

    python3 tools/make_gguf_fixtures.py      # e.g. /work/venv-torch/bin/python tools/make_gguf_fixtures.py

Everything is seeded, so re-running reproduces the same `model.gguf` bytes; the references are
recomputed by transformers in float32 (bit-exactness of the logits across torch versions / thread
counts is not guaranteed, compare with a tolerance). CI never runs this script; the outputs are
committed.

What it writes, under crates/model/tests/fixtures/:

  gguf-llama-f16/    arch `llama`, 2-D weights F16, norms F32, untied (`output.weight`), MHA 2/2.
  gguf-llama-q4_k/   arch `llama`, 2-D weights Q4_K (raw random-but-valid blocks), `token_embd` Q8_0,
                     tied (no `output.weight`), GQA 4 query heads / 2 kv heads, hidden 256,
                     intermediate 512 (k-quants need every row to be a multiple of 256 elements).
                     Also `dequant_debug.json`, see below.
  gguf-qwen2-q8_0/   arch `qwen2`, q/k/v biases F32, 2-D weights Q8_0 (gguf.quants.quantize),
                     untied, GQA 2/1.
  gguf-qwen2-q4_1/   arch `qwen2`, q/k/v biases F32, 2-D weights (embedding included) Q4_1
                     (gguf.quants.quantize), tied, MHA 2/2.

  All have head_dim 64, 2 layers, vocab 320, and differ in rope.freq_base / rms eps. The f16 / q8_0
  / q4_1 fixtures use hidden 128 (not 256) to keep each folder < 1 MB; only Q4_K needs 256.

Each folder holds `model.gguf` and `expected.json`.

model.gguf
  Tensor names and shapes are llama.cpp's (`token_embd.weight`, `output_norm.weight`,
  `output.weight`, `blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,ffn_gate,ffn_up,
  ffn_down}.weight`, `blk.N.attn_{q,k,v}.bias` for qwen2). A 2-D weight is passed to the writer in
  PyTorch layout [out, in], so GGUF's ne = [in, out] (ne[0] = the contiguous input dim).
  Metadata is what the converter writes: general.architecture / name / file_type /
  quantization_version, {arch}.context_length, .embedding_length, .block_count,
  .feed_forward_length, .attention.head_count, .attention.head_count_kv, .rope.freq_base,
  .attention.layer_norm_rms_epsilon, .rope.dimension_count, .vocab_size, and a GPT-2-style
  byte-level BPE tokenizer: tokenizer.ggml.model = "gpt2", tokenizer.ggml.pre ("smollm" for the
  llama fixtures, "qwen2" for the qwen2 ones), .tokens, .token_type (1 normal, 3 control),
  .merges, .bos/.eos/.padding_token_id, .add_bos_token (false) and tokenizer.chat_template
  (SmolLM2's ChatML template for llama, Qwen2.5's for qwen2). The vocabulary and merges are those of
  the committed `qwen2-f32/tokenizer.json` (written by make_engine_fixtures.py): ids 0..2 are
  <|endoftext|>, <|im_start|>, <|im_end|>, then the 256 GPT-2 byte characters, then 61 merges.

  THE LLAMA Q/K PERMUTATION. For arch `llama` llama.cpp's converter reorders the rows of attn_q and
  attn_k (`LlamaModel.permute` in convert_hf_to_gguf.py), from HF's rotate-half RoPE layout to
  ggml's interleaved (GPT-J style) pairs:

      def permute(w, n_head, n_head_kv):      # n_head_kv given -> n_head = n_head_kv (for attn_k)
          return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

  i.e. within each head, stored row 2*i + j = HF row j*head_dim/2 + i (j in {0,1}). transformers'
  GGUF loader (LlamaTensorProcessor._reverse_permute_weights) undoes it after dequantising, and so
  must our loader (RoPE could instead be applied interleaved; either way the logits only match if
  the permutation is accounted for). For the F16 fixture the script draws HF-layout q/k weights and
  stores permute(w), exactly like the converter. For the Q4_K fixture the stored blocks are random
  bytes, so "the HF weight" is by definition un-permute(dequant(stored)); `dequant_debug.json`
  spells out a few of those values. Arch `qwen2` is NOT permuted (neither by llama.cpp nor undone
  by transformers).

expected.json (all floats are float32 values written as the shortest decimal that round-trips a
float32; V = vocab size = 320)
  "format", "command", "versions" {torch, transformers, gguf, numpy, tokenizers}
  "fixture": {name, arch, weight_type, embedding_type, tied, seed}
  "gguf": {"metadata": every metadata key -> value as read back by gguf-py (the token / token_type /
           merges arrays as {"array_len": n}; floats as float32), "tensors": [{name, type (ggml
           type name), ne (GGUF order, ne[0] first)}] in file order}
  "config": what transformers derived from the metadata (hidden_size, intermediate_size,
           num_hidden_layers, num_attention_heads, num_key_value_heads, head_dim, rope_theta,
           rms_norm_eps, vocab_size, tie_word_embeddings, max_position_embeddings, model_type,
           bos/eos/pad_token_id)
  "input_ids": 12 seeded random ids (from [3, V), no special tokens)
  "logits": model(input_ids) logits, row-major flattened [12, V] (index t * V + v);
  "logits_shape": [12, V]
  "batch": two sequences of lengths 12 and 7, LEFT padded to 12 with the pad id:
      "ids" [2][12], "attention_mask" [2][12] (0 on padding), "position_ids" [2][12]
      (= cumsum(mask) - 1, clamped at 0, as HF generate derives them; passed explicitly to the
      forward), "lengths" [12, 7], "padding_side": "left", and "logits": a list of 2 flat lists,
      sequence b holding only its real positions, row-major [lengths[b], V] (its row r is padded
      position 12 - lengths[b] + r). Padded positions' logits are not recorded.
  "greedy": {"new_tokens": [8] ids, "max_new_tokens": 8} -- generate(do_sample=False) after
      input_ids, with eos_token_id=None (never stops early; pure argmax continuation)
  "greedy_batch": {"new_tokens": [2][8]} -- the same for the left-padded batch
  "tokenized": [{"text", "ids"}] -- AutoTokenizer.from_pretrained(dir, gguf_file=...) on a few
      strings, with add_special_tokens=False; "tokenizer": {class, pre_tokenizer (the backend's
      pre-tokenizer as JSON), bos/eos/pad tokens, vocab_size}. (If transformers cannot build the
      tokenizer, "tokenizer" is {"error": ...} and "tokenized" / "chat" are absent.)
  "chat": [{"messages", "add_generation_prompt": true, "text", "ids"}] -- apply_chat_template with
      the GGUF's chat template, and the ids of that text (add_special_tokens=False).

Checks the script makes before writing (it fails otherwise): every tensor transformers loaded equals
gguf-py's dequantisation of the file (un-permuted for llama q/k), tied models share lm_head and the
embedding, and the 7-token left-padded row matches an unpadded run of the same ids.

gguf-llama-q4_k/dequant_debug.json: for `blk.0.attn_q.weight` (-> model.layers.0.self_attn.q_proj
  .weight) and `blk.0.attn_k.weight` (-> k_proj): the first 64 values of the first 2 rows as
  transformers holds them after loading ("hf_rows", HF layout [out, in]), the first 64 values of the
  same row indices as stored in the file, dequantised by gguf-py ("stored_rows", no un-permute), and
  "hf_row_to_stored_row" for every row (HF row r = stored row map[r]).
"""
import importlib.metadata
import json
import os
import sys

import numpy as np
import torch
import transformers
import tokenizers
import gguf
from gguf import GGMLQuantizationType as QT, GGUFReader, GGUFWriter, LlamaFileType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_engine_fixtures import QWEN25_TEMPLATE, SMOLLM2_TEMPLATE  # noqa: E402

from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "crates", "model", "tests", "fixtures")
TOKENIZER_JSON = os.path.join(OUT, "qwen2-f32", "tokenizer.json")
COMMAND = "python3 tools/make_gguf_fixtures.py"
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SEQ_LEN, SHORT_LEN, NEW_TOKENS = 12, 7, 8

FIXTURES = [
    dict(name="gguf-llama-f16", arch="llama", seed=101, hidden=128, inter=192, heads=2, kv_heads=2,
         rope_theta=10000.0, eps=1e-5, ctx=256, tied=False, wtype=QT.F16, etype=QT.F16,
         file_type=LlamaFileType.MOSTLY_F16),
    dict(name="gguf-llama-q4_k", arch="llama", seed=102, hidden=256, inter=512, heads=4, kv_heads=2,
         rope_theta=500000.0, eps=1e-5, ctx=512, tied=True, wtype=QT.Q4_K, etype=QT.Q8_0,
         file_type=LlamaFileType.MOSTLY_Q4_K_M),
    dict(name="gguf-qwen2-q8_0", arch="qwen2", seed=103, hidden=128, inter=320, heads=2, kv_heads=1,
         rope_theta=1000000.0, eps=1e-6, ctx=1024, tied=False, wtype=QT.Q8_0, etype=QT.Q8_0,
         file_type=LlamaFileType.MOSTLY_Q8_0),
    dict(name="gguf-qwen2-q4_1", arch="qwen2", seed=104, hidden=128, inter=256, heads=2, kv_heads=2,
         rope_theta=10000.0, eps=1e-6, ctx=1024, tied=True, wtype=QT.Q4_1, etype=QT.Q4_1,
         file_type=LlamaFileType.MOSTLY_Q4_1),
]
HEAD_DIM = 64
LAYERS = 2

TEXTS = [
    "Hello world",
    "<|im_start|>user\nhi 123<|im_end|>",
    "what should i do about my fever ?",
    "You are Qwen, created by Alibaba Cloud.  Twice  spaced\n\nand newlines\n",
    "naïve café 😀 don't",
]
CONVERSATIONS = [
    [{"role": "user", "content": "what should i do about my fever ?"}],
    [{"role": "system", "content": "you are a careful doctor ."},
     {"role": "user", "content": "hi 123"}],
]


# --------------------------------------------------------------------------------------------
# tokenizer


def load_vocab():
    """Tokens (id order) and merges of the committed byte-level BPE of the safetensors fixtures."""
    with open(TOKENIZER_JSON) as f:
        tj = json.load(f)
    vocab = dict(tj["model"]["vocab"])
    for added in tj["added_tokens"]:
        vocab[added["content"]] = added["id"]
    tokens = [None] * len(vocab)
    for tok, i in vocab.items():
        tokens[i] = tok
    assert None not in tokens and tokens[:3] == SPECIAL, tokens[:3]
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    return tokens, merges


# --------------------------------------------------------------------------------------------
# weights


def llama_permute(w, n_head, n_head_kv=None):
    """convert_hf_to_gguf.py `LlamaModel.permute`: HF layout -> the layout llama.cpp stores."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama_unpermute(w, n_head):
    """The inverse (what transformers' LlamaTensorProcessor does), n_head = heads of *this* tensor."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_row_to_stored_row(rows, n_head):
    return llama_permute(np.arange(rows), n_head).argsort().tolist()


def random_q4_k_blocks(rng, rows, cols):
    """Random-but-valid Q4_K rows: per 256-element block d (f16), dmin (f16), 12 bytes of packed 6-bit
    scales/mins, 128 bytes of nibbles. A value is d*sc*q - dmin*m with sc, m in [0, 63], q in [0, 15];
    d and dmin are drawn so that the values are roughly zero-mean with std ~ 1/sqrt(cols)."""
    assert cols % 256 == 0
    n = rows * cols // 256
    target_std = 1.0 / np.sqrt(cols)
    d = (target_std / 255.0) * rng.uniform(0.75, 1.25, size=n)
    dmin = d * 7.5 * rng.uniform(0.8, 1.2, size=n)
    blocks = np.empty((n, 144), dtype=np.uint8)
    blocks[:, 0:2] = d.astype(np.float16).reshape(n, 1).view(np.uint8)
    blocks[:, 2:4] = dmin.astype(np.float16).reshape(n, 1).view(np.uint8)
    blocks[:, 4:] = rng.integers(0, 256, size=(n, 140), dtype=np.uint8)
    return blocks.reshape(rows, cols // 256 * 144)


def encode(w, qtype):
    """A float32 [out, in] weight -> (array to store, raw_dtype for add_tensor)."""
    if qtype == QT.F32:
        return w.astype(np.float32), None
    if qtype == QT.F16:
        return w.astype(np.float16), None
    if qtype in (QT.Q8_0, QT.Q4_1):
        return gguf.quants.quantize(w.astype(np.float32), qtype), qtype
    raise ValueError(qtype)


def add_matrix(writer, rng, name, shape, std, qtype, permute_heads=None):
    """Draw and write one 2-D weight of HF shape [out, in]; returns the stored array/encoding."""
    out_dim, in_dim = shape
    if qtype == QT.Q4_K:
        # Random payload bytes: the stored rows are what they are. HF-layout = un-permute(stored).
        data = random_q4_k_blocks(rng, out_dim, in_dim)
        writer.add_tensor(name, data, raw_dtype=QT.Q4_K)
        return
    w = (std * rng.standard_normal(shape)).astype(np.float32)
    if permute_heads is not None:
        w = llama_permute(w, *permute_heads)
    data, raw = encode(w, qtype)
    writer.add_tensor(name, data, raw_dtype=raw)


def write_gguf(fx, path, tokens, merges):
    rng = np.random.default_rng(fx["seed"])
    arch, H, I, nh, nkv = fx["arch"], fx["hidden"], fx["inter"], fx["heads"], fx["kv_heads"]
    V = len(tokens)
    w = GGUFWriter(path, arch)
    w.add_name(f"emlab {fx['name']}")
    w.add_context_length(fx["ctx"])
    w.add_embedding_length(H)
    w.add_block_count(LAYERS)
    w.add_feed_forward_length(I)
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_rope_freq_base(fx["rope_theta"])
    w.add_layer_norm_rms_eps(fx["eps"])
    w.add_rope_dimension_count(HEAD_DIM)
    w.add_vocab_size(V)
    w.add_file_type(int(fx["file_type"]))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    # tokenizer
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("smollm" if arch == "llama" else "qwen2")
    w.add_token_list(tokens)
    w.add_token_types([3 if t in SPECIAL else 1 for t in tokens])
    w.add_token_merges(merges)
    if arch == "llama":  # SmolLM2: bos <|im_start|>, eos and pad <|im_end|>
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.add_pad_token_id(2)
        w.add_chat_template(SMOLLM2_TEMPLATE)
    else:  # Qwen2.5-Instruct: bos and pad <|endoftext|>, eos <|im_end|>
        w.add_bos_token_id(0)
        w.add_eos_token_id(2)
        w.add_pad_token_id(0)
        w.add_chat_template(QWEN25_TEMPLATE)
    w.add_add_bos_token(False)

    # tensors, in the converter's order. Embedding std so that tied logits are not too peaky.
    emb_std = 2.0 / np.sqrt(H)
    add_matrix(w, rng, "token_embd.weight", (V, H), emb_std, fx["etype"])
    q_out, kv_out = nh * HEAD_DIM, nkv * HEAD_DIM
    for L in range(LAYERS):
        p = f"blk.{L}."
        w.add_tensor(p + "attn_norm.weight", (1.0 + 0.3 * rng.standard_normal(H)).astype(np.float32))
        perm_q = (nh, nh) if arch == "llama" else None
        perm_k = (nh, nkv) if arch == "llama" else None
        add_matrix(w, rng, p + "attn_q.weight", (q_out, H), 1 / np.sqrt(H), fx["wtype"], perm_q)
        add_matrix(w, rng, p + "attn_k.weight", (kv_out, H), 1 / np.sqrt(H), fx["wtype"], perm_k)
        add_matrix(w, rng, p + "attn_v.weight", (kv_out, H), 1 / np.sqrt(H), fx["wtype"])
        if arch == "qwen2":
            for t, n in (("attn_q", q_out), ("attn_k", kv_out), ("attn_v", kv_out)):
                w.add_tensor(p + t + ".bias", (0.2 * rng.standard_normal(n)).astype(np.float32))
        add_matrix(w, rng, p + "attn_output.weight", (H, q_out), 1 / np.sqrt(q_out), fx["wtype"])
        w.add_tensor(p + "ffn_norm.weight", (1.0 + 0.3 * rng.standard_normal(H)).astype(np.float32))
        add_matrix(w, rng, p + "ffn_gate.weight", (I, H), 1 / np.sqrt(H), fx["wtype"])
        add_matrix(w, rng, p + "ffn_up.weight", (I, H), 1 / np.sqrt(H), fx["wtype"])
        add_matrix(w, rng, p + "ffn_down.weight", (H, I), 1 / np.sqrt(I), fx["wtype"])
    w.add_tensor("output_norm.weight", (1.0 + 0.3 * rng.standard_normal(H)).astype(np.float32))
    if not fx["tied"]:
        add_matrix(w, rng, "output.weight", (V, H), emb_std, fx["etype"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# --------------------------------------------------------------------------------------------
# references


def f32_list(t):
    """Flat list of float32 values, each as the shortest decimal that round-trips the float32."""
    a = t.detach().to(torch.float32).cpu().numpy().reshape(-1)
    return [float(str(v)) for v in a]


def gguf_summary(path):
    reader = GGUFReader(path)
    meta = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        if field.types and field.types[0] == gguf.GGUFValueType.ARRAY:
            if key in ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type"):
                meta[key] = {"array_len": len(field.data)}
                continue
        v = field.contents()
        if isinstance(v, float):
            v = float(str(np.float32(v)))
        meta[key] = v
    tensors = [
        {"name": t.name, "type": t.tensor_type.name, "ne": [int(x) for x in t.shape]}
        for t in reader.tensors
    ]
    return reader, {"metadata": meta, "tensors": tensors}


def config_summary(cfg):
    rope = getattr(cfg, "rope_parameters", None) or {}
    theta = rope.get("rope_theta", getattr(cfg, "rope_theta", None))
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    return {
        "model_type": cfg.model_type,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": head_dim,
        "rope_theta": theta,
        "rope_parameters": rope,
        "rms_norm_eps": cfg.rms_norm_eps,
        "vocab_size": cfg.vocab_size,
        "tie_word_embeddings": cfg.tie_word_embeddings,
        "max_position_embeddings": cfg.max_position_embeddings,
        "bos_token_id": cfg.bos_token_id,
        "eos_token_id": cfg.eos_token_id,
        "pad_token_id": cfg.pad_token_id,
    }


def reference(fx, d, summary):
    ref = {}
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file="model.gguf", dtype=torch.float32).eval()
    cfg = model.config
    V = cfg.vocab_size
    ref["config"] = config_summary(cfg)
    assert cfg.tie_word_embeddings == fx["tied"], (cfg.tie_word_embeddings, fx["tied"])
    if fx["tied"]:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    pad = cfg.pad_token_id

    gen = torch.Generator().manual_seed(fx["seed"])
    ids = torch.randint(3, V, (SEQ_LEN,), generator=gen)
    with torch.no_grad():
        logits = model(input_ids=ids[None]).logits[0]
        greedy = model.generate(input_ids=ids[None], attention_mask=torch.ones(1, SEQ_LEN, dtype=torch.long),
                                do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                pad_token_id=pad, eos_token_id=None)
    ref["input_ids"] = ids.tolist()
    ref["logits_shape"] = [SEQ_LEN, V]
    ref["logits"] = f32_list(logits)
    ref["greedy"] = {"new_tokens": greedy[0, SEQ_LEN:].tolist(), "max_new_tokens": NEW_TOKENS, "eos_token_id": None}

    lengths = [SEQ_LEN, SHORT_LEN]
    seqs = [torch.randint(3, V, (n,), generator=gen).tolist() for n in lengths]
    T = max(lengths)
    input_ids = torch.tensor([[pad] * (T - len(s)) + s for s in seqs])
    mask = torch.tensor([[0] * (T - len(s)) + [1] * len(s) for s in seqs])
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        blogits = model(input_ids=input_ids, attention_mask=mask, position_ids=pos).logits
        bgreedy = model.generate(input_ids=input_ids, attention_mask=mask, do_sample=False,
                                 max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                 pad_token_id=pad, eos_token_id=None)
    ref["batch"] = {
        "ids": input_ids.tolist(), "attention_mask": mask.tolist(), "position_ids": pos.tolist(),
        "lengths": lengths, "padding_side": "left", "pad_token_id": pad,
        "logits": [f32_list(blogits[b, T - n:]) for b, n in enumerate(lengths)],
    }
    ref["greedy_batch"] = {"new_tokens": bgreedy[:, T:].tolist(), "max_new_tokens": NEW_TOKENS, "eos_token_id": None}
    # sanity: the left-padded row of full length agrees with an unpadded run of the same ids
    with torch.no_grad():
        solo = model(input_ids=input_ids[1:, T - SHORT_LEN:]).logits[0]
    err = (solo - blogits[1, T - SHORT_LEN:]).abs().max().item()
    assert err < 1e-3, err

    try:
        tok = AutoTokenizer.from_pretrained(d, gguf_file="model.gguf")
    except Exception as e:  # recorded, not fatal
        ref["tokenizer"] = {"error": f"{type(e).__name__}: {e}"}
        return model, ref
    backend = json.loads(tok.backend_tokenizer.to_str())
    ref["tokenizer"] = {
        "class": type(tok).__name__,
        "pre_tokenizer": backend.get("pre_tokenizer"),
        "bos_token": tok.bos_token, "eos_token": tok.eos_token, "pad_token": tok.pad_token,
        "vocab_size": len(tok),
    }
    ref["tokenized"] = [{"text": t, "ids": tok(t, add_special_tokens=False)["input_ids"]} for t in TEXTS]
    template = summary["metadata"]["tokenizer.chat_template"]
    ref["chat"] = []
    for conv in CONVERSATIONS:
        text = tok.apply_chat_template(conv, chat_template=template, tokenize=False, add_generation_prompt=True)
        ref["chat"].append({
            "messages": conv, "add_generation_prompt": True, "text": text,
            "ids": tok(text, add_special_tokens=False)["input_ids"],
        })
    return model, ref


def dequant_debug(model, reader, fx):
    """HF-layout q/k rows of layer 0 next to the stored (permuted) rows, for the Q4_K fixture."""
    tensors = {t.name: t for t in reader.tensors}
    out = {"fixture": fx["name"], "values_per_row": 64, "rows": [0, 1], "tensors": []}
    for gname, hname, heads in (("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight", fx["heads"]),
                                ("blk.0.attn_k.weight", "model.layers.0.self_attn.k_proj.weight", fx["kv_heads"])):
        t = tensors[gname]
        stored = gguf.quants.dequantize(t.data, t.tensor_type)  # [out, in], as stored
        hf = model.state_dict()[hname].detach().cpu().numpy()
        rowmap = hf_row_to_stored_row(stored.shape[0], heads)
        # what transformers holds == un-permute(dequant(stored)) == stored[rowmap]
        assert np.array_equal(hf, stored[rowmap]), gname
        assert np.array_equal(hf, llama_unpermute(stored, heads)), gname
        out["tensors"].append({
            "gguf_name": gname, "hf_name": hname, "type": t.tensor_type.name,
            "ne": [int(x) for x in t.shape], "hf_shape": list(hf.shape), "n_head": heads,
            "hf_rows": [[float(str(v)) for v in hf[r, :64]] for r in (0, 1)],
            "stored_rows": [[float(str(v)) for v in stored[r, :64]] for r in (0, 1)],
            "hf_row_to_stored_row": rowmap,
        })
    return out


def check_weights(model, reader, fx):
    """Every tensor transformers loaded == gguf-py's dequantisation of the file (un-permuted for llama
    q/k); for tied fixtures lm_head is the embedding."""
    sd = model.state_dict()
    names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    leaf = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
            "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}
    for t in reader.tensors:
        if t.name in names:
            hname = names[t.name]
        else:
            _, layer, part, kind = t.name.split(".")
            hname = f"model.layers.{layer}.{leaf[part]}.{kind}"
        want = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        if fx["arch"] == "llama" and t.name.endswith(("attn_q.weight", "attn_k.weight")):
            want = llama_unpermute(want, fx["heads"] if ".attn_q." in t.name else fx["kv_heads"])
        got = sd[hname].detach().cpu().numpy()
        assert got.shape == want.shape and np.array_equal(got, want), t.name
    if fx["tied"]:
        assert torch.equal(sd["lm_head.weight"], sd["model.embed_tokens.weight"])


def main():
    tokens, merges = load_vocab()
    versions = {
        "torch": torch.__version__, "transformers": transformers.__version__,
        "gguf": importlib.metadata.version("gguf"), "numpy": np.__version__,
        "tokenizers": tokenizers.__version__,
    }
    for fx in FIXTURES:
        d = os.path.join(OUT, fx["name"])
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.remove(os.path.join(d, f))
        path = os.path.join(d, "model.gguf")
        write_gguf(fx, path, tokens, merges)
        reader, summary = gguf_summary(path)
        model, ref = reference(fx, d, summary)
        check_weights(model, reader, fx)
        expected = {
            "format": "see the docstring of tools/make_gguf_fixtures.py; logits are row-major flattened "
                      "float32, batch is left padded and keeps only real positions",
            "command": COMMAND,
            "versions": versions,
            "fixture": {"name": fx["name"], "arch": fx["arch"], "weight_type": fx["wtype"].name,
                        "embedding_type": fx["etype"].name, "tied": fx["tied"], "seed": fx["seed"]},
            "gguf": summary,
        }
        expected.update(ref)
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(expected, f)
            f.write("\n")
        if fx["wtype"] == QT.Q4_K:
            dbg = dequant_debug(model, reader, fx)
            dbg.update({"command": COMMAND, "versions": versions})
            with open(os.path.join(d, "dequant_debug.json"), "w") as f:
                json.dump(dbg, f, indent=1)
                f.write("\n")
        sizes = {f: os.path.getsize(os.path.join(d, f)) for f in sorted(os.listdir(d))}
        print(fx["name"], sizes, file=sys.stderr)
    print("wrote", os.path.abspath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
