"""datasketch or rensa for `newscrawl clusters`: the same synthetic articles through each library's
MinHash and LSH, on one core. Prints, per library: signature time per article, LSH insert and
query time per article, the resident memory the index adds, and how far the Jaccard estimates
are from the exact values on copies and on unrelated pairs.

    pip install datasketch rensa   # the project installs only the one it chose
    python benchmarks/minhash_libraries.py [ARTICLES]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synthetic_articles import Generator  # noqa: E402

from newscrawl.article.shingles import shingles  # noqa: E402

# newscrawl's own parameters (newscrawl/tools/clusters.py): 128 permutations, 64 bands of 2 rows,
# candidates verified at an estimated similarity of 0.3. Both libraries get the same banding.
NUM_PERM, BANDS, THRESHOLD = 128, 64, 0.3


def rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def corpus(count: int) -> tuple[list[set[str]], list[tuple[int, int]]]:
    """Texts, with every fourth one a copy of the one before (verbatim or lightly edited)."""
    generator, texts, pairs = Generator(7), [], []
    while len(texts) < count:
        story = generator.story()
        texts.append(story)
        if len(texts) % 4 == 0:
            copy = story if len(texts) % 8 == 0 else generator.lightly_edited(story)
            texts.append(copy)
            pairs.append((len(texts) - 2, len(texts) - 1))
    sets = [shingles("\n".join(t.values())) for t in texts[:count]]
    return sets, [p for p in pairs if p[1] < count]


def exact(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def measure(name: str, sketch, index, sets):
    """Sketch every text, then query and insert each into the LSH index: CPU time of both, the
    memory the index adds, and the estimate and query functions for the quality figures."""
    started = time.process_time()
    hashes = [sketch(tokens) for tokens in sets]
    signing = time.process_time() - started
    before = rss()
    lsh = index()
    started = time.process_time()
    for key, m in enumerate(hashes):
        lsh.query(m)
        lsh.insert(key, m)
    indexing = time.process_time() - started
    added = rss() - before
    estimate = lambda i, j: hashes[i].jaccard(hashes[j])  # noqa: E731
    return name, signing, indexing, added, estimate, lambda i: set(lsh.query(hashes[i]))


def run_datasketch(sets):
    from datasketch import MinHash, MinHashLSH

    def sketch(tokens):
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([t.encode() for t in tokens])
        return m

    return measure("datasketch", sketch, lambda: MinHashLSH(num_perm=NUM_PERM, params=(BANDS, NUM_PERM // BANDS)), sets)


def run_rensa(sets):
    from rensa import RMinHash, RMinHashLSH

    def sketch(tokens):
        m = RMinHash(num_perm=NUM_PERM, seed=1)
        m.update(list(tokens))
        return m

    return measure("rensa", sketch, lambda: RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS), sets)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    sets, pairs = corpus(count)
    unrelated = [(i, i + 2) for i in range(0, min(count - 2, 4000), 3)]
    print(
        f"{count} articles, {len(pairs)} copies; {NUM_PERM} permutations, {BANDS} bands, kept at >= {THRESHOLD}; "
        "one core (CPU seconds)"
    )
    print(
        "| library | signature µs/article | LSH insert+query µs/article | index RSS MB | copies found | "
        "mean abs error, copies | max estimate, unrelated |"
    )
    print("|---|---|---|---|---|---|---|")
    for runner in (run_datasketch, run_rensa):
        try:
            name, signing, indexing, added, estimate, query = runner(sets)
        except ImportError as error:
            print(f"| {runner.__name__[4:]} | not installed ({error}) |")
            continue
        found = sum(1 for i, j in pairs if j in query(i) and estimate(i, j) >= THRESHOLD)
        errors = [abs(estimate(i, j) - exact(sets[i], sets[j])) for i, j in pairs]
        print(
            f"| {name} | {signing / count * 1e6:.0f} | {indexing / count * 1e6:.0f} | {added / 1e6:.0f} | "
            f"{found}/{len(pairs)} | {statistics.mean(errors):.3f} | "
            f"{max(estimate(i, j) for i, j in unrelated):.3f} |"
        )


if __name__ == "__main__":
    main()
