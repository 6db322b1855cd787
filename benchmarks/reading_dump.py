"""What the readers and the chunker make of many documents, dumped to compare two versions of the code.

    python benchmarks/reading_dump.py passages OUT.json ../shared/eval/realpdf_dev/docs/*.pdf
    python benchmarks/reading_dump.py blocks OUT.json FILE...
    python benchmarks/reading_dump.py diff BEFORE.json AFTER.json [--show N]

``passages`` writes each file's passages (``chunk_text`` with the default settings and the bundled model's word
pieces), ``blocks`` each file's blocks (kind and text) as the reader gives them; run it in a checkout of each
version. ``diff`` prints, per file that changed, its counts and the first N changed runs (docs/EVALUATION.md
reports its totals for each reading change).
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.chunker import chunk_text
from qa.config import Settings
from qa.embedder import Embedder
from qa.readers.loaders import load_document


def dump(what: str, out: Path, files: list[str]) -> None:
    settings = Settings.from_env()
    embedder = Embedder(settings.model)
    chunking = replace(settings.chunking, max_tokens=min(settings.chunking.max_tokens, embedder.max_tokens))
    found: dict[str, list[str]] = {}
    for name in files:
        document = load_document(name, Path(name).read_bytes())
        text = document.text
        if what == "blocks":
            found[name] = [f"{b.kind}: {text[b.start : b.end]}" for b in document.blocks]
        else:
            chunks = chunk_text(text, chunking, embedder.count_tokens, document.page_breaks,
                                embedder.count_tokens_many, document.blocks)  # fmt: skip
            found[name] = [text[c.start : c.end] for c in chunks]
        print(f"{name}: {len(found[name])} {what}", flush=True)
    out.write_text(json.dumps(found, ensure_ascii=False), encoding="utf-8")


def diff(before: Path, after: Path, show: int) -> None:
    old, new = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    total = changed = 0
    for name in sorted(set(old) & set(new)):
        if old[name] == new[name]:
            continue
        runs = [op for op in difflib.SequenceMatcher(a=old[name], b=new[name], autojunk=False).get_opcodes()
                if op[0] != "equal"]  # fmt: skip
        total, changed = total + len(runs), changed + 1
        print(f"== {Path(name).name}: {len(old[name])} -> {len(new[name])}, {len(runs)} changed runs")
        for _, i1, i2, j1, j2 in runs[:show]:
            for piece in old[name][i1:i2]:
                print("   -", repr(piece[:300]))
            for piece in new[name][j1:j2]:
                print("   +", repr(piece[:300]))
    lengths = [[len(p) for ps in d.values() for p in ps] for d in (old, new)]
    medians = " -> ".join(f"{statistics.median(x):.0f}" if x else "-" for x in lengths)
    print(f"{total} changed runs in {changed} of {len(set(old) & set(new))} files; median length {medians}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["passages", "blocks", "diff"])
    parser.add_argument("out", type=Path, help="the dump to write (diff: the earlier dump)")
    parser.add_argument("files", nargs="+", help="documents to read (diff: the later dump)")
    parser.add_argument("--show", type=int, default=5, help="diff: changed runs shown per file")
    args = parser.parse_args()
    if args.what == "diff":
        diff(args.out, Path(args.files[0]), args.show)
    else:
        dump(args.what, args.out, args.files)


if __name__ == "__main__":
    main()
