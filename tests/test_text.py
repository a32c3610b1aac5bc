"""Tokens and phrases the topic terms are made of."""

from __future__ import annotations

import pandas as pd
import pytest

from nbkit.corpus import load_corpus
from nbkit.embed import document_texts
from nbkit.text import PhraseAnalyzer, analysis_text, stopwords
from nbkit.topics import TopicSettings, make_vectorizer
from tests.conftest import FIXTURES


def test_phrases_never_span_a_stopword_or_a_sentence_break():
    analyzer = PhraseAnalyzer({"are", "the", "models"}, (1, 2))
    assert analyzer("Large robots are the best. Robot arms (RA) models") == [
        "large", "robots", "best", "large robots", "robot", "arms", "robot arms", "ra"]


def test_stopwords_hold_english_domain_and_extra_words():
    stop = stopwords(["Robot"])
    assert {"the", "and", "propose", "paper", "robot"} <= stop
    assert "protein" not in stop


# --- analysis text: LaTeX and markup residue -----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "clean"), [
    (r"a class $\mathcal{X}$ of sets", "a class X of sets"),
    (r"the $\operatorname{softmax}$ layer", "the softmax layer"),
    (r"{\color[RGB]{0,0,0} Colored text} here", "Colored text here"),
    (r"improves by 45\% and 3\&4", "improves by 45% and 3&4"),
    (r"as shown \cite{smith2020, doe2021}. Also \citep[p.~3]{x}", "as shown. Also"),
    (r"an \emph{important} and \textbf{bold} \textit{word}", "an important and bold word"),
    (r"line one \\ line two, Fig.~2 and A~B", "line one line two, Fig. 2 and A B"),
    (r"a distance of ~8 kpc, see http://x.edu/~me", "a distance of ~8 kpc, see http://x.edu/~me"),
    (r"$k$-means in $O(n^2)$ time at $T_c$ for $H_2O$", "k-means in O(n^2) time at Tc for H2O"),
    (r"an $\alpha$-helix with $x \leq 2\pi$ and $\log n$ terms", "an α-helix with x ≤ 2π and log n terms"),
    (r"$$\frac{a}{b}$$ and \(x\) and \[y\]", "a/b and x and y"),
    (r"M\"obius, \'{e}t\'e, na\"{\i}ve, \v{S}ibenik, Erd\H{o}s, \ss", "Möbius, été, naïve, Šibenik, Erdős, ß"),
    (r"{\it Italic} and {\rm roman} with user \R macros", "Italic and roman with user macros"),
    (r"costs \$5 in \{braces\}", "costs $5 in {braces}"),
    ("<jats:p>First</jats:p><jats:p>Second with H<sub>2</sub>O &amp; <i>more</i></jats:p>",
     "First Second with H2O & more"),
    ("a < b and c > d", "a < b and c > d"),
    ("Plain text stays exactly as it is.", "Plain text stays exactly as it is."),
    (r"see \url{https://github.com/a/b} and \href{https://x.org}{the site}", "see and the site"),
])
def test_analysis_text(raw, clean):
    assert analysis_text(raw) == clean


def test_topic_terms_of_a_latex_corpus_hold_no_latex_command_names():
    # Six LaTeX-heavy abstracts (tests/fixtures/text): the vectorizer the topic model uses, fitted on the analysis
    # text, has no `mathcal`, `operatorname`, `color` or `rgb` term; fitted on the stored text it has all four.
    corpus = load_corpus([FIXTURES / "text" / "latex_abstracts.jsonl"])
    papers = corpus.papers
    assert "\\mathcal{F}" in papers["title"].iloc[0]  # the stored text stays as written
    residue = {"mathcal", "operatorname", "color", "rgb", "emph", "cite", "textbf"}
    vectorizer = make_vectorizer(TopicSettings())
    vocabulary = set(vectorizer.fit(document_texts(papers)).vocabulary_)
    assert not vocabulary & residue
    assert {"softmax", "entmax", "u-statistics", "attention"} <= vocabulary
    stored = ["\n\n".join(row) for row in zip(papers["title"], papers["abstract"], strict=True)]
    assert {"mathcal", "operatorname", "color", "rgb"} <= set(make_vectorizer(TopicSettings()).fit(stored).vocabulary_)


def test_document_texts_are_the_analysis_text():
    papers = pd.DataFrame({"title": [r"The $\mathcal{X}$ class"], "abstract": [r"It grows by 45\%."]})
    assert document_texts(papers) == ["The X class\n\nIt grows by 45%."]

