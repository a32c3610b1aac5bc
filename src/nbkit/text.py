"""Text analysis shared by the topic model and the quality measures: the tokens topics are made of, stopwords, and
phrases that never span a removed word or a clause break.

    analyzer = PhraseAnalyzer(stopwords(["robot"]), (1, 2))
    analyzer("Large language models (LLMs) plan.")   # ['large', 'language', 'large language', 'llms', 'plan']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Words that occur in almost every abstract and so name no theme: paper boilerplate on top of English stopwords.
DOMAIN_STOPWORDS = frozenset({
    "abilities", "ability", "achieve", "achieved", "achieves", "achieving", "across", "addition", "additionally",
    "address", "addresses", "al", "allow", "allows", "approach", "approaches", "art", "available", "based",
    "benchmark-level", "better", "capabilities", "capability", "challenge", "challenges", "challenging", "code",
    "com", "comprehensive", "consistently", "current", "demonstrate", "demonstrated", "demonstrates",
    "demonstrating", "different", "directly", "effective", "effectively", "efficient", "enable", "enables",
    "enhance", "enhanced", "enhances", "enhancing", "et", "etc", "evaluate", "evaluated", "existing", "experiment",
    "experimental", "experiments", "extensive", "findings", "framework", "frameworks", "furthermore", "github",
    "given", "high", "however", "http", "https", "improve", "improved", "improvement", "improvements", "improves",
    "improving", "including", "introduce", "introduced", "introduces", "io", "key", "large", "leverage",
    "leverages", "leveraging", "like", "make", "makes", "method", "methods", "model", "models", "moreover", "new",
    "novel", "often", "outperform", "outperforming", "outperforms", "paper", "papers", "perform", "performance",
    "performs", "present", "presents", "previous", "prior", "project", "propose", "proposed", "proposes", "provide",
    "provides", "recent", "recently", "release", "released", "remains", "result", "results", "set", "show", "shown",
    "shows", "significant", "significantly", "simple", "specifically", "state", "studies", "study", "superior",
    "task", "tasks", "technique", "techniques", "thus", "use", "used", "uses", "using", "various", "via", "wide",
    "widely", "work", "works", "www", "yields",
    # the boilerplate of mathematical and physical abstracts
    "consider", "considered", "considers", "discuss", "discussed", "discusses", "investigate", "investigated",
    "investigates", "let", "obtain", "obtained", "obtains", "prove", "proved", "proves",
})


def stopwords(extra: Iterable[str] = ()) -> frozenset[str]:
    """English stopwords (scikit-learn's list), nbkit's domain stopwords and `extra`, lower-cased."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOPWORDS | {w.lower() for w in extra}


TOKEN_PATTERN = r"(?u)\b(?:\d+[^\W\d_]\w*|[^\W\d_][\w-]*\w)\b"  # words of 2+ characters, "3d", not "2024"

_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"]+(?:\s|$)|[()\[\]{}\"]")


class PhraseAnalyzer:
    """Words and phrases of adjacent words, none of them a stopword.

    scikit-learn's own analyzer drops stopwords before it builds n-grams, so "large language models (LLMs)" gives
    the pseudo-phrase "language llms"; here a phrase never spans a removed word.
    """

    def __init__(self, stop_words: Iterable[str], ngram_range: tuple[int, int] = (1, 2)) -> None:
        self.stop_words = frozenset(stop_words)
        self.ngram_range = tuple(ngram_range)
        self._pattern = re.compile(TOKEN_PATTERN)

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        low, high = self.ngram_range
        for clause in _CLAUSE_BREAK.split(text.lower()):  # no phrase across ". " or "(": "learning. Continual"
            tokens = self._pattern.findall(clause)
            keep = [t not in self.stop_words for t in tokens]
            out += [" ".join(tokens[i:i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)
                    if all(keep[i:i + n])]
        return out
