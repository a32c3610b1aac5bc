"""Tokens and phrases the topic terms are made of."""

from __future__ import annotations

from nbkit.text import PhraseAnalyzer, stopwords


def test_phrases_never_span_a_stopword_or_a_sentence_break():
    analyzer = PhraseAnalyzer({"are", "the", "models"}, (1, 2))
    assert analyzer("Large robots are the best. Robot arms (RA) models") == [
        "large", "robots", "best", "large robots", "robot", "arms", "robot arms", "ra"]


def test_stopwords_hold_english_domain_and_extra_words():
    stop = stopwords(["Robot"])
    assert {"the", "and", "propose", "paper", "robot"} <= stop
    assert "protein" not in stop
