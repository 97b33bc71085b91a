#!/usr/bin/env python3
"""Compare `cargo xtask bench-gpu` with the PyTorch anchor, shape by shape and workload by workload.

Usage: bench_ratios.py OURS.json [OURS2.json ...] TORCH_OUTPUT

- OURS*.json: reports of `xtask bench-gpu` (`{"device", "shapes": [{"shape", "steer": {"tokens_per_s"}, ...}]}`);
  several may be given (one per shape, as tools/gpu_bench.sh writes them) and are merged.
- TORCH_OUTPUT: the anchor's `torch_anchor.json`, or its captured stdout (one `{"<shape>": {...}}` line per
  finished shape, then the whole result indented). Every JSON object found in the text is merged, so a run cut
  off by a timeout still contributes the shapes it finished.

Prints, per shape and workload, our tokens/s, PyTorch's and ours / PyTorch (> 1: we are faster). Anything absent
on either side prints "missing", never a guess. Peak memory: PyTorch reports `torch.cuda.max_memory_allocated`;
ours comes from the report when it has a number, else from `smi_mem_<shape>.csv` next to our report (nvidia-smi
samples of the whole GPU's used memory during our run, so it includes the allocator's reserved pools: an upper
bound, not the same quantity as PyTorch's).
Standard library only: it runs on the device machine's Python.
"""

import json
import os
import sys

# (our workload key, the anchor's tokens/s key, label)
WORKLOADS = [
    ("steer", "steer_tokens_per_s", "steering step"),
    ("kl_steer", "kl_steer_tokens_per_s", "KL steering step"),
    ("lora1", "lora1_tokens_per_s", "rank-1 LoRA step"),
    ("fwd", "fwd_tokens_per_s", "forward (LoRA on)"),
]


def json_objects(text):
    """Every top-level JSON object in `text`, in order (tolerates log lines between them)."""
    decoder, found, i = json.JSONDecoder(), [], 0
    while True:
        i = text.find("{", i)
        if i < 0:
            return found
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i += 1
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = end


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as e:
        print(f"cannot read {path}: {e}")
        return ""


def load_ours(paths):
    """{shape: (entry, report path)}, the device/dtype names and the numerical-check entries, merged over our reports."""
    shapes, devices, parity = {}, set(), []
    for path in paths:
        for report in json_objects(read_text(path)):
            if "device" in report:
                devices.add(f"{report['device']} ({report.get('dtype', 'f32')} weights)")
            parity += [p for p in report.get("parity", []) or [] if isinstance(p, dict)]
            for entry in report.get("shapes", []) or []:
                if isinstance(entry, dict) and "shape" in entry:
                    shapes[entry["shape"]] = (entry, path)
    return shapes, devices, parity


def load_torch(path):
    """{shape: anchor entry} plus the anchor's environment keys (torch, gpu, ...)."""
    shapes, meta = {}, {}
    for obj in json_objects(read_text(path)):
        for key, value in obj.items():
            if isinstance(value, dict):
                shapes.setdefault(key, {}).update(value)
            else:
                meta[key] = value
    return shapes, meta


def number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def smi_peak_gb(report_path, shape):
    """Peak of nvidia-smi's memory.used samples (MiB) written next to our report, in GB."""
    path = os.path.join(os.path.dirname(os.path.abspath(report_path)), f"smi_mem_{shape}.csv")
    values = []
    for line in read_text(path).splitlines() if os.path.exists(path) else []:
        try:
            values.append(float(line.strip().split(",")[0]))
        except ValueError:
            pass
    return max(values) * 1024 * 1024 / 1e9 if values else None


def fmt(value, digits=0):
    return "missing" if value is None else f"{value:,.{digits}f}"


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2])
        return 2
    ours, devices, parity = load_ours(argv[1:-1])
    torch, meta = load_torch(argv[-1])
    gpu = meta.get("gpu", "missing")
    print(f"ours: device {', '.join(sorted(devices)) or 'missing'}; torch {meta.get('torch', 'missing')} on {gpu}")
    names = [s for s in ours if s in torch] + [s for s in ours if s not in torch] + [s for s in torch if s not in ours]
    if not names:
        print("no shape on either side: both runs missing")
        return 1
    for p in parity:
        report = p.get("report", {}) or {}
        errors = [number(v) for k, v in report.items() if k.startswith("max_")]
        worst = max((e for e in errors if e is not None), default=None)
        verdict = "ok" if p.get("passed") else "FAILED"
        print(
            f"parity {p.get('fixture', '?'):<16} {p.get('dtype', '?'):<5} max |diff| {'missing' if worst is None else f'{worst:.2e}'} "
            f"(bound {p.get('tolerance', '?')}; transformers' own bf16 error {p.get('transformers_bf16_logit_error')}), "
            f"greedy tokens {'identical' if report.get('greedy_tokens_match') else 'differ'}: {verdict}"
        )
    header = f"{'shape':<14} {'workload':<18} {'ours tok/s':>12} {'torch tok/s':>12} {'ours/torch':>10}"
    print(header)
    print("-" * len(header))
    for name in names:
        entry, path = ours.get(name, ({}, None))
        anchor = torch.get(name, {})
        for key, torch_key, label in WORKLOADS:
            mine = number((entry.get(key) or {}).get("tokens_per_s")) if isinstance(entry.get(key), dict) else None
            theirs = number(anchor.get(torch_key))
            ratio = f"{mine / theirs:.3f}" if mine is not None and theirs else "missing"
            print(f"{name:<14} {label:<18} {fmt(mine):>12} {fmt(theirs):>12} {ratio:>10}")
        mem = number(entry.get("peak_mem_GB"))
        source = "report"
        if mem is None and path is not None:
            mem, source = smi_peak_gb(path, name), "nvidia-smi, whole GPU"
        torch_mem = number(anchor.get("peak_mem_GB"))
        kl_mem = number(anchor.get("kl_peak_mem_GB"))
        print(
            f"{name:<14} {'peak memory GB':<18} {fmt(mem, 1):>12} {fmt(torch_mem, 1):>12} "
            f"{'':>10} (ours: {source if mem is not None else 'not measured'}; torch KL step {fmt(kl_mem, 1)})"
        )
        for err in ("kl_error", "lora_error"):
            if err in anchor:
                print(f"{name:<14} torch {err}: {anchor[err]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
