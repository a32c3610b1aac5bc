"""PhraseVectorizer: scikit-learn's CountVectorizer counts, each text tokenized once between fits."""

from __future__ import annotations

import pickle

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from nbkit.terms import PhraseVectorizer
from nbkit.text import PhraseAnalyzer, stopwords

TOPICS = ["Graph neural networks learn node features. Message passing graph networks scale.",
          "Protein folding with diffusion models; protein structure prediction."]
PAPERS = ["Graph neural networks for molecules.", "Protein structure prediction (AlphaFold).",
          "Message passing on graphs and protein graphs.", "", "Unseen words only: zebra quartz."]


class CountingAnalyzer(PhraseAnalyzer):
    """A PhraseAnalyzer that counts the texts it tokenizes."""

    calls = 0

    def __call__(self, text: str) -> list[str]:
        CountingAnalyzer.calls += 1
        return super().__call__(text)


def _same(a, b) -> bool:
    return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and a.indices.dtype == b.indices.dtype
            and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and np.array_equal(a.data, b.data))


def test_the_counts_are_count_vectorizers():
    ours = PhraseVectorizer(analyzer=PhraseAnalyzer(stopwords(), (1, 2)))
    theirs = CountVectorizer(analyzer=PhraseAnalyzer(stopwords(), (1, 2)))
    assert _same(ours.fit_transform(TOPICS), theirs.fit_transform(TOPICS))
    assert ours.vocabulary_ == theirs.vocabulary_
    assert all(type(column) is int for column in ours.vocabulary_.values())  # BERTopic writes it as JSON
    assert _same(ours.transform(PAPERS), theirs.transform(PAPERS))
    assert _same(ours.transform(PAPERS[1:3]), theirs.transform(PAPERS[1:3]))  # remembered rows
    mixed = ["Protein graphs again.", PAPERS[0]]
    assert _same(ours.transform(mixed), theirs.transform(mixed))


def test_each_text_is_tokenized_once_until_the_next_fit():
    vectorizer = PhraseVectorizer(analyzer=CountingAnalyzer(stopwords(), (1, 2))).fit(TOPICS)
    CountingAnalyzer.calls = 0
    counts = vectorizer.transform(PAPERS)
    assert CountingAnalyzer.calls == 5
    again = vectorizer.transform([PAPERS[2], PAPERS[0]])
    assert CountingAnalyzer.calls == 5  # both remembered
    assert (again != counts[[2, 0]]).nnz == 0
    vectorizer.transform([PAPERS[1], "A new text on graphs."])
    assert CountingAnalyzer.calls == 6  # only the new text
    assert counts[0, vectorizer.vocabulary_["graph"]] == 1
    # after a fit on other texts the vocabulary is quartz, quartz zebra, zebra, zebra quartz; the paper's clause
    # "zebra quartz" has three of them
    vectorizer.fit(["Zebra quartz zebra."])
    assert vectorizer.transform([PAPERS[4]]).toarray().tolist() == [[1, 0, 1, 1]]
    assert CountingAnalyzer.calls == 6 + 1 + 1  # the fit's text and the paper, tokenized again


def test_pickling_leaves_the_remembered_rows_behind():
    vectorizer = PhraseVectorizer(analyzer=PhraseAnalyzer(stopwords(), (1, 2))).fit(TOPICS)
    vectorizer.transform(PAPERS)
    copy = pickle.loads(pickle.dumps(vectorizer))
    assert not hasattr(copy, "_remembered") and copy.vocabulary_ == vectorizer.vocabulary_
    assert _same(copy.transform(PAPERS), vectorizer.transform(PAPERS))
