"""The redesign harness (tests/redesign.py) against its targets: the fixture sites with classes and
ids renamed, JSON-LD or meta removed, <article> turned into <div>s, listings renamed, and all of
these at once, each crawled in replay and scored against the unmutated crawl."""

import pytest
from redesign import VARIANTS, run

# Only the visible page is left (no meta), or not even the app's data attributes: a date shown
# without a time, or not at all, cannot be recovered, nor a lead told from the first paragraph.
VISIBLE_ONLY = {
    "renamed, no JSON-LD, no meta (visible page only)",
    "all of these combined",
    "renamed, data-* attributes removed, no JSON-LD",
}


@pytest.fixture(scope="module", params=["nu", "wnl"])
def results(request, tmp_path_factory):
    return request.param, run(request.param, VARIANTS, tmp_path_factory.mktemp(f"redesign-{request.param}"))


def test_unmutated_pages_give_the_same_items(results):
    _, scores = results
    none = scores["none"]
    assert none["articles"] == none["of"] and none["f1_min"] == 100.0 and none["status"] == "ok"


@pytest.mark.parametrize("variant", [v.name for v in VARIANTS if v.name != "none"])
def test_every_variant_keeps_its_articles_and_fields(results, variant):
    site, scores = results
    score = scores[variant]
    assert score["articles"] == score["of"], f"{site}: articles lost under '{variant}'"
    assert score["boilerplate"] == 0
    assert score["related"] >= 90
    if variant in VISIBLE_ONLY:
        assert score["f1_mean"] >= 90 and score["headline"] >= 80 and score["datePublished"] >= 80, score
    else:
        assert score["f1_mean"] >= 97 and score["f1_min"] >= 85, score
        assert score["headline"] >= 90 and score["authors"] >= 90 and score["datePublished"] >= 90, score


@pytest.mark.parametrize("variant", [v.name for v in VARIANTS if v.name != "none"])
def test_every_variant_is_noticed_by_the_run(results, variant):
    site, scores = results
    assert scores[variant]["status"] == "failed", f"{site}: the run did not notice '{variant}'"


def test_rouge_l_counts_words_in_order():
    from redesign import rouge_l_f1

    assert rouge_l_f1("a b c d", "a b c d") == 100.0
    assert rouge_l_f1("a b c d", "d c b a") == 25.0  # one word in order of four
    assert rouge_l_f1("a b c d", "") == 0.0
