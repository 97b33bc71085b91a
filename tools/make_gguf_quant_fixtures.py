#!/usr/bin/env python3
"""Writes the reference fixture of `crates/model/src/gguf/quant.rs`'s unit tests.

Requirements: numpy and the `gguf` package (gguf-py, written against 0.19.0; its
`gguf.quants.dequantize` is the reference). Run from anywhere:

    /work/venv-torch/bin/python tools/make_gguf_quant_fixtures.py
    # writes crates/model/tests/fixtures/gguf_quants.json

For each of the 13 ggml types emlab reads (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
Q2_K..Q6_K) it makes a seeded set of raw storage bytes: 64 values for F32/F16/BF16, 8 blocks
for the 32-element formats, 3 blocks for the 256-element k-quants. The quant payloads
(nibbles, high bits, packed scales) are random bytes, but every f16 scale field (`d`, `m`,
`dmin`) is overwritten with a finite f16 of sensible magnitude (normal * 0.05; the first
block's `d` is made negative, the second's positive), so no value is inf or NaN. The float
types get normal values plus a few edge cases (-0.0, an f16/bf16 subnormal).

The JSON holds, per type name, `{"id": ggml type id, "bytes_hex": raw bytes, "values":
gguf's dequantisation}`, each float32 written as the Python float it converts to exactly,
so a reader parsing f64 and narrowing to f32 gets the reference bits back.
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "model", "tests", "fixtures", "gguf_quants.json")

# Byte offsets of the f16 scale fields inside one block (ggml-common.h's block_* structs).
F16_FIELDS = {
    T.Q4_0: [0],  # d, qs[16]
    T.Q4_1: [0, 2],  # d, m, qs[16]
    T.Q5_0: [0],  # d, qh[4], qs[16]
    T.Q5_1: [0, 2],  # d, m, qh[4], qs[16]
    T.Q8_0: [0],  # d, qs[32]
    T.Q2_K: [80, 82],  # scales[16], qs[64], d, dmin
    T.Q3_K: [108],  # hmask[32], qs[64], scales[12], d
    T.Q4_K: [0, 2],  # d, dmin, scales[12], qs[128]
    T.Q5_K: [0, 2],  # d, dmin, scales[12], qh[32], qs[128]
    T.Q6_K: [208],  # ql[128], qh[64], scales[16], d
}


def quant_blocks(rng, qtype):
    block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
    n_blocks = 3 if block_elems == 256 else 8
    raw = rng.integers(0, 256, size=(n_blocks, block_bytes), dtype=np.uint8)
    for b in range(n_blocks):
        for k, off in enumerate(F16_FIELDS[qtype]):
            v = rng.normal() * 0.05
            if k == 0 and b < 2:
                v = -abs(v) if b == 0 else abs(v)  # one negative d, one positive d
            raw[b, off:off + 2] = np.array([v], dtype="<f2").view(np.uint8)
    return raw.reshape(-1)


def float_values(rng, qtype):
    x = rng.normal(size=64).astype(np.float32)
    x[1] = -0.0
    if qtype == T.F32:
        x[2] = np.float32(1e-40)  # f32 subnormal
        return x.astype("<f4").view(np.uint8)
    if qtype == T.F16:
        h = x.astype("<f2")
        h[2] = np.float16(3e-6)  # f16 subnormal
        h[3] = np.float16(-65504.0)  # f16 max magnitude
        return h.view(np.uint8)
    # BF16: the upper half of each f32 (truncation), plus a bf16 subnormal
    x[2] = np.float32(5e-39)
    hi = (x.view("<u4") >> 16).astype("<u2")
    return hi.view(np.uint8)


def main():
    rng = np.random.default_rng(20240615)
    order = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]
    entries = []
    for qtype in order:
        raw = float_values(rng, qtype) if qtype in (T.F32, T.F16, T.BF16) else quant_blocks(rng, qtype)
        values = np.asarray(dequantize(raw, qtype), dtype=np.float32).reshape(-1)
        assert np.isfinite(values).all(), qtype.name
        block_elems, block_bytes = GGML_QUANT_SIZES[qtype]
        assert values.size * block_bytes == raw.size * block_elems, qtype.name
        entry = {"id": int(qtype), "bytes_hex": raw.tobytes().hex(), "values": [float(v) for v in values]}
        entries.append(f"{json.dumps(qtype.name)}:{json.dumps(entry, separators=(',', ':'))}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("{\n" + ",\n".join(entries) + "\n}\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
