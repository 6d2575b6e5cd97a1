"""How a URL ended is one small type (newscrawl.crawl.outcomes.Outcome), written ``kind:reason``."""

import pytest

from newscrawl.crawl.outcomes import KINDS, Outcome


def test_an_outcome_is_written_and_read_back_as_kind_and_reason():
    for text in ("item", "not_modified", "failure:http_404", "skipped:consent_wall", "not_requested:unchanged"):
        outcome = Outcome.parse(text)
        assert str(outcome) == text and Outcome.parse(str(outcome)) == outcome
    assert Outcome.parse("failure:timeout") == Outcome.failure("timeout")
    assert Outcome.parse("failure:timeout").kind == "failure" and Outcome.parse("failure:timeout").reason == "timeout"
    assert set(KINDS) == {
        "item",
        "reject",
        "duplicate",
        "not_modified",
        "skipped",
        "not_requested",
        "discovery",
        "failure",
    }


@pytest.mark.parametrize(
    "text", ["", "itemz", "failure", "failure:", "item:extra", "skipped:a:b", "discovery:feed", "Failure:http_404"]
)
def test_a_malformed_outcome_is_refused_with_its_reason(text):
    with pytest.raises(ValueError, match="outcome"):
        Outcome.parse(text)
