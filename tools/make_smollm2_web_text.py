#!/usr/bin/env python3
"""Writes the smollm2 profile's "pre-training text" for E9: real English prose nobody in this
project wrote, available offline.

Source: the Python Language Reference and library topics that CPython ships as
`pydoc_data/topics.py` (the text `help("FOR")` shows), part of every Python install and of
Debian's `libpython3.11-stdlib` package; (c) Python Software Foundation, PSF License v2.
It is technical prose rather than FineWeb's web mix, which the README says where it reports E9.

Each topic becomes one or more documents of whole paragraphs, at most 2,000 characters, in
sorted topic order; the first 120 documents are kept. Output:
crates/pipeline/assets/smollm2_web_text.jsonl, one {"text": ...} per line (documents only; the
provenance is here and in the README). `reproduce --profile smollm2` copies it into its data
folder as fineweb.jsonl.

Run from the repository root (the committed file was written by Python 3.11.7):

    python3 tools/make_smollm2_web_text.py
"""
import json
import sys

import pydoc_data.topics as topics

MAX_CHARS = 2000
DOCUMENTS = 120

documents = []
for name in sorted(topics.topics):
    paragraphs = [p.strip() for p in topics.topics[name].split("\n\n") if p.strip()]
    current = ""
    for paragraph in paragraphs:
        paragraph = " ".join(paragraph.split())
        if current and len(current) + len(paragraph) + 1 > MAX_CHARS:
            documents.append(current)
            current = ""
        current = (current + "\n" + paragraph).strip()[:MAX_CHARS]
    if current:
        documents.append(current)

out = "crates/pipeline/assets/smollm2_web_text.jsonl"
with open(out, "w") as f:
    for text in documents[:DOCUMENTS]:
        f.write(json.dumps({"text": text}) + "\n")
print(f"wrote {min(len(documents), DOCUMENTS)} of {len(documents)} documents to {out} "
      f"(Python {sys.version.split()[0]})", file=sys.stderr)
