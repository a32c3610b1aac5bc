"""Document-term counts for topic terms, computed once per corpus and shared.

    vectorizer = PhraseVectorizer(analyzer=PhraseAnalyzer(stopwords(), (1, 2)))
    vectorizer.fit(topic_texts)               # the vocabulary (BERTopic: one joined text per topic)
    counts = vectorizer.transform(texts)      # papers x terms; tokenizes each text once ...
    vectorizer.transform(texts[:10])          # ... later calls on the same texts (or some of them) reuse the rows

A topic fit reads every paper's terms several times: the representation (share-idf counts the papers using each
term), BERTopic's representative documents, the subtopics and NPMI. Tokenizing is the expensive part (about 0.2 ms
of CPU an abstract; 100,000 papers took a minute or more a pass), so PhraseVectorizer remembers the rows of the
largest set of texts it transformed since it was fitted, and answers any later call from them for the texts it
has seen (by equal text); only new texts are tokenized. The rows are exactly what scikit-learn's CountVectorizer
gives (a test compares them), counted with one list comprehension and numpy instead of a Python dictionary
update per term.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer


class PhraseVectorizer(CountVectorizer):
    """scikit-learn's CountVectorizer (same parameters, same matrices) that counts faster and remembers the rows
    of the texts it transformed since the last fit (see the module docstring). Memory: one sparse row per
    remembered text (about 1 KB an abstract)."""

    def fit(self, raw_documents: Iterable[str], y: Any = None) -> PhraseVectorizer:
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents: Iterable[str], y: Any = None) -> Any:
        self._forget()  # another vocabulary: the remembered rows no longer apply
        return super().fit_transform(raw_documents, y)

    def transform(self, raw_documents: Iterable[str]) -> Any:
        if isinstance(raw_documents, str):  # as CountVectorizer: an iterable of texts, not one text
            return super().transform(raw_documents)
        documents = list(raw_documents)
        rows_of: dict[str, int] = getattr(self, "_rows_of", None) or {}
        known = np.array([rows_of.get(d, -1) for d in documents], dtype=np.int64) if rows_of else None
        if known is not None and (known >= 0).all():
            return self._remembered[known]
        if known is None:
            new, counted = documents, super().transform(documents)
        else:  # some texts seen, some not: count only the new ones
            missing = np.flatnonzero(known < 0)
            new = [documents[i] for i in missing]
            fresh = super().transform(new)
            rows = known.copy()
            rows[missing] = self._remembered.shape[0] + np.arange(len(missing))
            counted = sp.vstack([self._remembered, fresh], format="csr")[rows]
            counted = type(fresh)(counted)  # vstack may change the sparse interface; keep CountVectorizer's
        if len(documents) >= len(rows_of):  # the corpus rather than a sample of it: remember these texts
            self._rows_of = {}
            for row, text in enumerate(documents):
                self._rows_of.setdefault(text, row)
            self._remembered = counted
        return counted

    def _forget(self) -> None:
        self._rows_of, self._remembered = {}, None

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_rows_of", None)
        state.pop("_remembered", None)
        return state

    def _count_vocab(self, raw_documents: Iterable[str], fixed_vocab: bool) -> tuple[dict[str, int], Any]:
        """CountVectorizer._count_vocab, same result: the vocabulary (ids in order of first appearance when
        fitting) and the sorted CSR counts, with the per-term work done by one comprehension and numpy."""
        from sklearn.utils._sparse import _align_api_if_sparse

        analyze = self.build_analyzer()
        vocabulary: dict[str, int] = self.vocabulary_ if fixed_vocab else {}
        get, add = vocabulary.get, vocabulary.setdefault
        ids: list[int] = []
        lengths: list[int] = []
        for doc in raw_documents:
            terms = analyze(doc)
            # a new term gets the next id (setdefault evaluates len first); out of a fixed vocabulary: -1
            ids += [get(t, -1) for t in terms] if fixed_vocab else [add(t, len(vocabulary)) for t in terms]
            lengths.append(len(terms))
        if not fixed_vocab and not vocabulary:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        n_docs = len(lengths)
        doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        term_ids = np.array(ids, dtype=np.int64)
        if fixed_vocab:  # out-of-vocabulary terms are dropped
            inside = term_ids >= 0
            doc_of, term_ids = doc_of[inside], term_ids[inside]
        counts = sp.coo_array((np.ones(len(term_ids), dtype=np.intc), (doc_of, term_ids)),
                              shape=(n_docs, len(vocabulary))).tocsr()  # tocsr sums repeated (doc, term) pairs
        # CountVectorizer's index width: 32 bits unless the non-zeros need 64
        index_dtype = np.int64 if counts.nnz > np.iinfo(np.int32).max else np.int32
        X = sp.csr_array((counts.data, counts.indices.astype(index_dtype), counts.indptr.astype(index_dtype)),
                         shape=counts.shape, dtype=self.dtype)
        X.sort_indices()
        return vocabulary, _align_api_if_sparse(X)
