r"""Text analysis shared by the topic model and the quality measures: the text that is analysed (LaTeX and markup
residue cleaned away), the tokens topics are made of, stopwords, and phrases that never span a removed word or a
clause break.

    analysis_text(r"A \emph{fast} $\mathcal{O}(n)$ method")   # 'A fast O(n) method'
    analyzer = PhraseAnalyzer(stopwords(["robot"]), (1, 2))
    analyzer("Large language models (LLMs) plan.")   # ['large', 'language', 'large language', 'llms', 'plan']
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

# --- the text analysed: LaTeX and markup residue removed ------------------------------------------------------------
#
# Abstracts from arXiv, OpenAlex or Crossref carry LaTeX (`\mathcal{X}`, `$O(n^2)$`, `45\%`, `\cite{x}`) and markup
# (`<jats:p>`, `&amp;`). Embeddings and topic terms are computed from `analysis_text` of the title and abstract, so
# `mathcal` or `operatorname` never become topic terms; the stored title and abstract stay as written.
#
# A regex cleaner, not pylatexenc: measured back to back on the 2,000 abstracts of benchmarks/corpora/arxiv_sample
# (2 shared, busy cores), pylatexenc 2.11's LatexNodes2Text took 25-27 s (math_mode "text" or "remove"; ~13 ms an
# abstract, over a minute for a 5,000-paper run, longer than loading it), this cleaner 0.2-0.3 s (~0.1 ms an
# abstract; text without `\ $ < & ~ { }` is returned untouched). pylatexenc also reads `&amp;` as an alignment tab
# (`amp;`) and turns `\cite{x}` into `<cit.>`.
#
# The rules, in order:
# - HTML/XML tags (`<b>`, `</jats:p>`, `<br/>`) are removed and entities decoded (`&amp;` -> `&`).
# - `\$`, `\%`, `\&`, `\#`, `\_`, `\{`, `\}` become the character; `\\`, `\,`, `\;`, `\:`, `\!` and a `~` between two
#   words become a space (`~8 kpc`, "about 8", and `/~user` in a URL stay).
# - Accents become letters: `M\"obius`, `\'{e}` -> `Möbius`, `é`.
# - Citations, references, labels, URLs and colours are removed with their argument (`\cite{a,b}`, `\ref{x}`,
#   `\color[RGB]{0,0,0}`); `\textcolor{red}{text}` keeps its text.
# - `\frac{a}{b}` -> `a/b`. Every other command with an argument keeps the argument: `\mathcal{X}` -> `X`,
#   `\operatorname{softmax}` -> `softmax`, `\emph{word}` -> `word`.
# - Greek letters and common symbols become Unicode (`\alpha` -> `α`, `\leq` -> `≤`); operator names stay words
#   (`\log` -> `log`); any other command name is dropped (`\rm`, `\cal`, `\it`, user macros such as `\R`).
# - Math keeps its simple content: `$` delimiters dropped, subscript marks dropped (`$T_c$` -> `Tc`, `$H_2O$` ->
#   `H2O`), superscripts kept (`$O(n^2)$` -> `O(n^2)`); one-letter symbols then fall out of the topic tokens
#   (two characters or more) while identifiers such as `SU(3)` or `k-means` read as written.
# - Remaining braces are removed and whitespace folded.

_TAG = re.compile(r"</?([A-Za-z][\w:.-]*)(?:\s[^<>]*)?/?>")
# Tags that end a paragraph or a line: a space in their place; other tags (<i>, <sub>, <jats:italic>) vanish.
_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
                         "title", "sec", "abstract", "blockquote", "table", "hr"})
_ESCAPED = {"\\$": "\x01", "\\%": "%", "\\&": "&", "\\#": "#", "\\_": "_", "\\{": "\x02", "\\}": "\x03"}
_ESCAPE = re.compile(r"\\[$%&#_{}]")
# `~` is a LaTeX space between two words (`Fig.~1`, `A~B`), not after `/` (a URL) nor before a number after a
# space, where it means "about" (`of ~8 kpc`, kept).
_SPACING = re.compile(r"\\\\|\\[,;:! ]|(?<=[^\s/])~(?=\S)")
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304", ".": "\u0307",
            "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328", "r": "\u030a"}
_ACCENT = re.compile(r"""\\(['`^"~=.]|[uvHckr](?![A-Za-z]))\s*(?:\{\s*(\\?[A-Za-z]+)\s*\}|(\\[A-Za-z]+|[A-Za-z]))""")
_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
            "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ"}
# Citations and references go with the space before them (`shown \cite{x}.` -> `shown.`); the other commands here
# take their argument along (`\color[RGB]{0,0,0}`, `\url{...}`); `\textcolor{red}{text}` keeps its text.
_CITATION = re.compile(r"\s*\\(?:cite[a-zA-Z]*|(?:eq|auto|c|C|page|name)?ref|label|footnote|thanks)(?![A-Za-z])\*?"
                       r"(?:\s*\[[^\]]*\])*\s*(?:\{[^{}]*\})?")
_DROP_WITH_ARGUMENT = re.compile(r"\\(?:url|href|color|textcolor|colorbox|vspace|hspace|pacs|keywords)(?![A-Za-z])\*?"
                                 r"\s*(?:\[[^\]]*\]\s*)?(?:\{[^{}]*\})?")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_MATH = re.compile(r"\$\$?([^$]*)\$\$?|\\\((.*?)\\\)|\\\[(.*?)\\\]")
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?(?:\s*\[[^\]]*\])?")
def _unicode_name(greek: str) -> str:
    return "LAMDA" if greek == "lambda" else greek.upper()  # Unicode spells it so


_GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
          "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"]
_SYMBOLS = {
    **{name: unicodedata.lookup(f"GREEK SMALL LETTER {_unicode_name(name)}") for name in _GREEK},
    **{name.capitalize(): unicodedata.lookup(f"GREEK CAPITAL LETTER {_unicode_name(name)}") for name in _GREEK},
    "varepsilon": "ε", "vartheta": "ϑ", "varphi": "φ", "varrho": "ϱ", "varsigma": "ς", "varpi": "ϖ",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "leftrightarrow": "↔", "Rightarrow": "⇒", "Leftarrow": "⇐",
    "Leftrightarrow": "⇔", "mapsto": "↦", "times": "×", "pm": "±", "mp": "∓", "infty": "∞", "sim": "~",
    "approx": "≈", "simeq": "≃", "cong": "≅", "equiv": "≡", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥",
    "neq": "≠", "ne": "≠", "ll": "≪", "gg": "≫", "lesssim": "≲", "gtrsim": "≳", "in": "∈", "notin": "∉",
    "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "cup": "∪", "cap": "∩", "emptyset": "∅", "partial": "∂",
    "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "cdot": "·", "circ": "∘", "otimes": "⊗",
    "oplus": "⊕", "odot": "⊙", "propto": "∝", "forall": "∀", "exists": "∃", "ell": "ℓ", "hbar": "ħ",
    "dots": "…", "ldots": "…", "cdots": "⋯", "langle": "⟨", "rangle": "⟩", "prime": "′", "sqrt": "√",
    "perp": "⊥", "parallel": "∥", "wedge": "∧", "vee": "∨", "neg": "¬", "setminus": "∖", "star": "⋆",
    "dagger": "†", "S": "§", "textendash": "–", "textemdash": "—", "LaTeX": "LaTeX", "TeX": "TeX",
    **{name: letter for name, letter in _LETTERS.items()},
}
# Operator names are words of the text (`\log n`, `\max`), kept as such.
_WORDS = frozenset({"log", "ln", "exp", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan",
                    "max", "min", "sup", "inf", "lim", "liminf", "limsup", "det", "dim", "ker", "deg", "gcd", "arg",
                    "Pr", "mod", "tr", "Tr", "rank"})
_BRACES = re.compile(r"[{}]")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([.,;:!?)\]])")  # left where a command stood: `\max}.`
# Characters whose presence means a text may need cleaning; most HF abstracts have none and are returned as is.
_MARKUP = re.compile(r"[\\$<&~{}]")


def analysis_text(text: str) -> str:
    """The text embeddings and topic terms are computed from: LaTeX and HTML residue removed (rules above)."""
    if not _MARKUP.search(text):
        return text
    if "<" in text:
        text = _TAG.sub(_tag, text)
    if "&" in text:
        text = html.unescape(text)
    if "\\" in text or "$" in text or "~" in text:
        text = _ESCAPE.sub(lambda m: _ESCAPED[m.group()], text)
        text = _ACCENT.sub(_accented, text)
        text = _SPACING.sub(" ", text)
        text = _DROP_WITH_ARGUMENT.sub("", _CITATION.sub("", text))
        text = _FRAC.sub(r"\1/\2", text)
        text = _MATH.sub(_math_content, text)
        text = _COMMAND.sub(_command, text)
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text.replace("$", ""))  # and an unpaired delimiter
    text = _BRACES.sub("", text).replace("\x01", "$").replace("\x02", "{").replace("\x03", "}")
    return " ".join(text.split())


def _tag(match: re.Match) -> str:
    return " " if match.group(1).lower().rsplit(":", 1)[-1] in _BLOCK_TAGS else ""


def _accented(match: re.Match) -> str:
    letter = match.group(2) or match.group(3)
    # a dotless i or j under an accent is written for the dotted letter: na\"{\i}ve
    base = {"i": "i", "j": "j"}.get(letter[1:], _LETTERS.get(letter[1:], "")) if letter.startswith("\\") else letter
    return unicodedata.normalize("NFC", base[:1] + _ACCENTS[match.group(1)] + base[1:])


def _math_content(match: re.Match) -> str:
    return next(g for g in match.groups() if g is not None).replace("_", "")


def _command(match: re.Match) -> str:
    name = match.group(1)
    if name in _SYMBOLS:
        return _SYMBOLS[name]
    if name in _WORDS:
        return f" {name} "
    return ""  # \mathcal{X} -> {X}, then X; \rm, \cal, user macros such as \R -> nothing


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
            if not tokens:
                continue
            keep = [t not in self.stop_words for t in tokens]
            for n in range(low, high + 1):  # words, then pairs, ...: each in text order
                if n == 1:
                    out += [t for t, k in zip(tokens, keep, strict=True) if k]
                elif n == 2:  # the common case spelled out: no slice and all() per pair
                    pairs = zip(tokens, tokens[1:], keep, keep[1:], strict=False)  # each token with the next
                    out += [f"{a} {b}" for a, b, ka, kb in pairs if ka and kb]
                else:
                    out += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1) if all(keep[i:i + n])]
        return out
