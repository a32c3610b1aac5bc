"""Tagged exports together: detection of RIS, Web of Science, MEDLINE and BibTeX against every other fixture,
folder walks, and the record splitter's independence from where the text is cut into pieces."""

from __future__ import annotations

import re

import pytest
import rispy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbkit.clean import clean_plain, clean_text
from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from nbkit.sources import TEXT_READERS, bibtex, detect_format, medline, read_file, ris, wos
from nbkit.sources.base import ParsedFile
from nbkit.sources.tagged import TaggedFormat, plain_ascii, split_records
from nbkit.sources.textio import Chunk, decode_head
from tests.conftest import FIXTURES, HF

TAGGED = {
    **{path: "ris" for path in sorted((FIXTURES / "ris").glob("*.ris"))},
    FIXTURES / "exports" / "arxiv_scopus_style.ris": "ris",
    FIXTURES / "wos" / "savedrecs.txt": "wos",
    FIXTURES / "medline" / "pubmed.nbib": "medline",
    FIXTURES / "bibtex" / "refs.bib": "bibtex",
}
OTHERS = sorted([*(FIXTURES / "records").iterdir(), *HF.iterdir(), *(FIXTURES / "arxiv").iterdir(),
                 FIXTURES / "exports" / "arxiv_openalex_page.json"])
MINE = {"ris", "wos", "medline", "bibtex"}


@pytest.mark.parametrize("path", list(TAGGED), ids=lambda p: p.name)
def test_each_tagged_fixture_is_claimed_by_its_own_sniffer_only(path):
    head = path.read_bytes()
    assert detect_format(path, head) == TAGGED[path]
    claims = [r.name for r in TEXT_READERS if r.sniff(decode_head(head), path.suffix.lower())]
    assert claims == [TAGGED[path]]


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: p.name)
def test_no_tagged_sniffer_claims_other_formats(path):
    head = path.read_bytes()
    try:
        detected = detect_format(path, head)
    except NbkitError:  # PROVENANCE.md and the like: no format at all, which is fine here
        detected = None
    assert detected not in MINE
    assert not [r.name for r in TEXT_READERS if r.name in MINE and r.sniff(decode_head(head), path.suffix.lower())]


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("papers.json", '[{"title": "TY  - JOUR", "abstract": "AU  - Smith"}]', "json"),
    ("papers.ris", "title,abstract\nTY  - JOUR,AU  - x\n", "csv"),  # a .ris name does not make a CSV RIS
    ("refs.bib", '{"title": "@article{x, title={A}}"}\n', "jsonl"),
])
def test_other_formats_that_mention_tags_stay_themselves(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert detect_format(path, path.read_bytes()) == expected


def test_a_tagged_export_saved_as_txt_is_detected_by_content(tmp_path):
    for path, fmt in TAGGED.items():
        copy = tmp_path / f"{path.stem}.txt"
        copy.write_bytes(path.read_bytes())
        assert detect_format(copy, copy.read_bytes()) == fmt


def test_folder_walks_pick_up_tagged_suffixes(tmp_path):
    for path in TAGGED:
        if path.suffix != ".txt":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    corpus = load_corpus([tmp_path])
    assert corpus.report.skipped_files == []
    # 9 RIS files (20 + 90 listings), pubmed.nbib (4), refs.bib (4)
    assert (corpus.report.totals["files"], corpus.report.totals["listings"]) == (11, 118)
    formats = {f.name.split("/")[-1]: f.format for f in corpus.report.files}
    assert formats["pubmed.nbib"] == "medline" and formats["refs.bib"] == "bibtex"


def test_the_same_paper_in_different_exports_gets_the_same_ids():
    """Ids are normalized the same way whatever the source wrote (deduplication by id builds on it)."""
    endnote = load_corpus([FIXTURES / "ris" / "endnote.ris"]).listings
    bib = load_corpus([FIXTURES / "bibtex" / "refs.bib"]).listings
    assert endnote.iloc[1].arxiv_id == bib.iloc[1].arxiv_id == "2302.03495"
    ovid = load_corpus([FIXTURES / "ris" / "ovid.ris"]).listings
    nbib = load_corpus([FIXTURES / "medline" / "pubmed.nbib"]).listings
    assert ovid.iloc[0].pmid == nbib.iloc[0].pmid == "31102345"


PROSE = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROSE)
def test_sniffers_do_not_claim_random_text(text):
    for sniff in (ris.looks_like_ris, wos.looks_like_wos, medline.looks_like_medline, bibtex.looks_like_bibtex):
        assert not sniff(text, ".txt")


@pytest.mark.parametrize("text", [
    "Screening citations for systematic reviews is slow.\n\nWe propose a tool.\n",
    "TY: the type.\nAU: the author.\nER: the end.\n",
    "PMID 31102345 was cited.\nTI - a title\n",
    "FN: file name\nVR: version\nPT: type\n",
    "Email me @ work {soon}.\n@home\n",
])
def test_sniffers_do_not_claim_prose_about_the_formats(text):
    for sniff in (ris.looks_like_ris, wos.looks_like_wos, medline.looks_like_medline, bibtex.looks_like_bibtex):
        assert not sniff(text, ".txt")


def _split(text: str, form: TaggedFormat, size: int | None, chunks: bool = False):
    parsed = ParsedFile("x", "x", "x", "x")
    pieces = [text[i:i + size] for i in range(0, len(text), size)] if size else [text]
    if chunks:  # as textio gives them: the ASCII pieces are plain, and their line numbers found with numpy
        pieces = [Chunk(piece, piece.encode()) for piece in pieces]
    records = [record._replace(plain=False) for record in split_records(pieces, parsed, form)]
    return records, parsed.blocks, parsed.header_lines, [(r.line, r.reason, r.text) for r in parsed.rejections]


FORMS = {"ris": ris.FORMAT, "wos": wos.FORMAT, "medline": medline.FORMAT}
SPLIT_FIXTURES = [(path, FORMS[fmt]) for path, fmt in TAGGED.items() if fmt in FORMS]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SPLIT_FIXTURES), st.integers(1, 300))
def test_records_do_not_depend_on_where_the_text_is_cut(case, size):
    path, form = case
    text = re.sub(r"\r\n?", "\n", path.read_text(encoding="utf-8-sig"))
    assert _split(text, form, size) == _split(text, form, None) == _split(text, form, size, chunks=True)


def test_record_lines_are_counted_across_pieces():
    text = "junk\n\n" + "".join(f"TY  - JOUR\nTI  - T{i}\nER  - \n\n" for i in range(50))
    for size, chunks in [(1, False), (7, False), (64, False), (7, True), (64, True)]:
        records, blocks, _, rejections = _split(text, ris.FORMAT, size, chunks)
        assert [r.line for r in records] == [3 + 4 * i for i in range(50)]
        assert (blocks, rejections) == (1, [(1, "text outside a RIS record", "junk")])


@pytest.mark.parametrize(("fmt", "name"), [("ris", "RIS"), ("wos", "Web of Science"), ("medline", "MEDLINE")])
def test_forcing_a_tagged_format_on_other_text_rejects_every_block(tmp_path, fmt, name):
    path = tmp_path / "page.txt"
    path.write_text("# Daily Papers\n\nA title\n\nAn abstract.\n", encoding="utf-8")
    parsed = read_file(path, "page.txt", fmt=fmt)
    assert len(parsed.listings) == 0
    assert [(r.line, r.reason) for r in parsed.rejections] == [(n, f"text outside a {name} record") for n in (1, 3, 5)]
    with pytest.raises(NbkitError, match="no paper listings found"):
        load_corpus([path], fmt=fmt)


FIELD = st.sampled_from(["AU  - Smith, J.", "KW  - screening", "PY  - 2019//", "AB  - An abstract.", "DO  - 10.1/x",
                         "T2  - A Journal", "N1  - note", "  a continued line", ""])
JUNK = st.sampled_from(["Exported from a database", "ER  - ", "Record 1 of 3", "   "])


@st.composite
def ris_export(draw) -> tuple[str, int, int, int]:
    """A RIS text with junk between records; how many records have a title (as rispy reads each record on its
    own: an independent oracle), how many of those lack an end tag, and how many records there are."""
    lines, titled, open_titled, records, closed = [], 0, 0, 0, True
    for _ in range(draw(st.integers(1, 8))):
        if closed:  # after a record without ER, junk would be read as part of that record
            lines += draw(st.lists(JUNK, max_size=2))
        body = draw(st.lists(FIELD, max_size=5))
        title = draw(st.sampled_from(["TI  - A title", "T1  - Another title", "TI  - ", None]))
        if title:
            body.insert(draw(st.integers(0, len(body))), title)
        fields = rispy.loads("\n".join(["TY  - JOUR", *body, "ER  - "]))[0]
        has_title = bool((fields.get("title") or fields.get("primary_title") or "").strip())
        records += 1
        end = draw(st.sampled_from([["ER  - "], ["ER  -"], []]))
        closed = bool(end)
        titled += has_title
        open_titled += has_title and not closed
        lines += ["TY  - JOUR", *body, *end]
    separators = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)))
    return "".join(line + sep for line, sep in zip(lines, separators, strict=True)), titled, open_titled, records


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ris_export())
def test_random_ris_exports_account_for_every_record(tmp_path, export):
    text, titled, open_titled, records = export
    path = tmp_path / "export.ris"
    path.write_bytes(text.encode("utf-8"))
    parsed = read_file(path, "export.ris", fmt="ris")
    assert len(parsed.listings) == titled
    flags = parsed.listings.column("flags")
    assert sum("unterminated_record" in f for f in flags) == open_titled
    assert parsed.blocks == len(parsed.header_lines) + parsed.listing_blocks + len(parsed.rejections)
    record_rejections = [r for r in parsed.rejections if r.reason.startswith("RIS record without")]
    assert parsed.listing_blocks + len(record_rejections) == records


def test_record_starts_and_ends_by_substring_search():
    # Offsets worked out by hand: "TY  - JOUR\n" is 11 characters, "ER  - \n" 7, a blank line 1.
    text = "TY  - JOUR\nTI  - A\nER  - \n\nTY  - BOOK\nTI  - B\nTY  - CHAP\nTI  - C"
    form = ris.FORMAT
    assert form.starts(text) == [0, 27, 46]
    assert form.record_end(text, 0, 27) == (25, True)  # just past `ER  - `
    assert form.record_end(text, 27, 46) == (46, False)  # ran into the next TY line
    assert form.record_end(text, 46, len(text)) == (len(text), False)
    assert form.starts("\n" + text)[:1] == [1]  # after a leading blank line
    assert TaggedFormat("RIS", start="TY  -", end="ER  -").record_end("TY  - X\nER  -", 0, 13) == (13, True)
    # MEDLINE: no end tag; a blank line (spaces allowed) or the end ends a record, always properly.
    pubmed = "PMID- 1\nTI  - A\n  \nPMID- 2\nTI  - B"
    assert medline.FORMAT.starts(pubmed) == [0, 19]
    assert medline.FORMAT.record_end(pubmed, 0, 19) == (15, True)
    assert medline.FORMAT.record_end(pubmed, 19, len(pubmed)) == (len(pubmed), True)


@pytest.mark.parametrize(("raw", "expected"), [
    (b"TY  - JOUR\r\nTI  - A ~ title!\n", True),  # printable ASCII, LF and CR
    (b"AB  - caf\xc3\xa9\n", False),  # UTF-8 for an accented letter
    (b"AB  - a\tb\n", False),  # a tab: clean_text makes it a space
    (b"AB  - a\x7fb\n", False),  # DEL
    (b"AB  - a\x0cb\n", False),  # a form feed
    (b"", False),
    (None, False),  # UTF-16 and UTF-32 chunks carry no raw bytes
])
def test_plain_ascii(raw, expected):
    assert plain_ascii(raw) is expected


def test_records_are_plain_only_when_all_their_text_came_from_plain_chunks():
    # A record carried over from a plain chunk into one with an accent is not plain, nor is the rest of that
    # text, but records wholly in a later plain chunk are again; a piece given as str is never plain.
    chunks = [Chunk("TY  - JOUR\nTI  - One\nER  - \nTY  - JOUR\nTI  - Tw", b"(plain)"),
              Chunk("o \u00e9\nER  - \nTY  - JOUR\nTI  - Three\nER  - \nTY  - JOUR\n", "\u00e9".encode()),
              Chunk("TI  - Four\nER  - \nTY  - JOUR\nTI  - Five\nER  - \n", b"(plain)")]
    records = list(split_records(chunks, ParsedFile("x", "x", "x", "x"), ris.FORMAT))
    assert [(r.line, r.plain) for r in records] == [(1, True), (4, False), (7, False), (10, False), (13, True)]
    records = list(split_records([c.text for c in chunks], ParsedFile("x", "x", "x", "x"), ris.FORMAT))
    assert [r.plain for r in records] == [False] * 5


@pytest.mark.parametrize(("value", "expected"), [
    ("Deep learning", "Deep learning"),
    ("Two  spaces", "Two spaces"),
    (" leading", "leading"),
    ("trailing ", "trailing"),
    ("", ""),
])
def test_clean_plain_is_clean_text_on_printable_ascii(value, expected):
    assert clean_plain(value) == clean_text(value) == expected
