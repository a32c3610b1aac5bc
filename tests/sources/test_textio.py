"""Reading files as text: line endings, byte-order marks, the non-UTF-8 fallback, and files that are not text."""

from __future__ import annotations

import pytest

from nbkit.corpus import load_corpus
from nbkit.errors import NbkitError
from nbkit.sources import FORMATS
from tests.conftest import HF

MIXED = (HF / "mixed_metadata.txt").read_text(encoding="utf-8")


def _columns(corpus):
    return corpus.listings[["title", "abstract", "source_line", "abstract_line", "meta_line", "authors_count",
                            "date_text", "upvotes"]].to_dict("list")


@pytest.mark.parametrize(("ending", "name"), [("\r\n", "CRLF"), ("\r", "CR")])
def test_crlf_and_bare_cr_read_like_lf(write, ending, name):
    lf = load_corpus([HF / "mixed_metadata.txt"])
    other = load_corpus([write("page.txt", MIXED.replace("\n", ending).encode("utf-8"))])
    assert _columns(other) == _columns(lf)
    assert other.report.files[0].line_endings == [name]
    assert other.report.files[0].header_lines == lf.report.files[0].header_lines
    assert lf.report.files[0].line_endings == ["LF"]


def test_utf8_with_byte_order_mark(write):
    corpus = load_corpus([write("page.txt", b"\xef\xbb\xbf" + MIXED.encode("utf-8"))])
    assert corpus.report.files[0].encoding == "utf-8 (with BOM)"
    assert corpus.report.files[0].header_lines[0] == 1  # `new` is still recognized after the BOM
    assert corpus.report.totals["listings"] == 4


def test_utf16_with_byte_order_mark(write):
    corpus = load_corpus([write("page.txt", MIXED.encode("utf-16"))])
    assert corpus.report.files[0].encoding == "utf-16"
    assert _columns(corpus) == _columns(load_corpus([HF / "mixed_metadata.txt"]))


def test_text_that_is_not_utf8_falls_back_to_cp1252_with_a_warning(write):
    text = MIXED.replace("Curriculum Learning Revisited", "Curriculum Learning Revisité")
    corpus = load_corpus([write("page.txt", text.encode("cp1252"))])
    entry = corpus.report.files[0]
    assert entry.encoding == "cp1252"
    # cp1252 writes the metadata bullet `•` (line 17) as the single byte 0x95: the first byte that is not UTF-8.
    assert entry.warnings == ["not valid UTF-8 (line 17); decoded as cp1252 (check accented characters)"]
    assert "Curriculum Learning Revisité" in corpus.listings["title"].tolist()
    assert corpus.listings["authors_count"].tolist()[0] == 7  # the bullet decodes back, so metadata still reads
    assert all("encoding_fallback" in flags for flags in corpus.listings["flags"])


def test_bytes_cp1252_cannot_decode_fall_back_to_latin1(write):
    corpus = load_corpus([write("page.txt", MIXED.encode("utf-8").replace(b"Revisited", b"Revisit\x81d"))])
    assert corpus.report.files[0].encoding == "latin-1"


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"  \n\n\t \n", "file has only whitespace"),
    (b"PK\x03\x04\x00\x00binary", "binary file (NUL byte at offset 4)"),
])
def test_files_that_cannot_be_read_give_one_line_errors(write, content, reason):
    path = write("bad.txt", content)
    with pytest.raises(NbkitError) as error:
        load_corpus([path])
    message = str(error.value)
    assert message.startswith(f"{path}: {reason}")
    assert "\n" not in message


def test_missing_path(tmp_path):
    with pytest.raises(NbkitError, match=r"nope\.txt: no such file or directory$"):
        load_corpus([tmp_path / "nope.txt"])


def test_directory_without_files(write, tmp_path):
    write("notes/.hidden.txt", "Subscribe\n\nMar 11\n")
    with pytest.raises(NbkitError, match=r"notes: directory has no files \(hidden files are passed over\)$"):
        load_corpus([tmp_path / "notes"])


def test_skip_bad_files_lists_them_and_goes_on(write, tmp_path):
    write("in/good.txt", MIXED)
    write("in/empty.txt", "")
    write("in/notes.md", "ignored")
    corpus = load_corpus([tmp_path / "in"], skip_bad_files=True)
    assert corpus.report.totals["listings"] == 4
    assert corpus.report.skipped_files == [
        {"path": "in/empty.txt", "reason": f"{tmp_path / 'in' / 'empty.txt'}: empty file"},
        {"path": "in/notes.md", "reason": f"{tmp_path / 'in' / 'notes.md'}: unrecognised format (tried "
                                         f"{', '.join(FORMATS)}); pass --format to force one"},
    ]


def test_files_larger_than_one_read_chunk_keep_their_line_numbers(write):
    # Enough listings to fill more than one read chunk, the first title padded so that in the CRLF copy a line
    # break sits right at the chunk boundary (the LF and CR copies cross it elsewhere). Every listing takes 8 lines
    # (title, blank, abstract, blank, three metadata lines, blank), after the 4 header lines.
    from nbkit.sources.textio import CHUNK_BYTES

    abstract = "An abstract long enough for the whole-listing fast path, in plain words. " * 5
    listing = "Title {i}\n\n" + abstract.strip() + "\n\n  • 3 authors\n·\nFeb 4 3\n\n"
    body = "".join(listing.format(i=i) for i in range(CHUNK_BYTES // len(listing) + 20))
    n = body.count("Title ")
    cut = (CHUNK_BYTES - 1) - ("Subscribe\n\nMar 11\n\n" + body).replace("\n", "\r\n").encode().rfind(b"\r\n", 0,
                                                                                                       CHUNK_BYTES)
    for shift in (-1, 0, 1):  # the pair ends the first chunk; is split across the two; starts the second
        text = "Subscribe\n\nMar 11\n\n" + body.replace("Title 0", "Title 0" + "x" * (cut + shift), 1)
        for ending, name in (("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")):
            raw = text.replace("\n", ending).encode("utf-8")
            if name == "CRLF":
                assert raw[CHUNK_BYTES - 1 + shift:CHUNK_BYTES + 1 + shift] == b"\r\n"
            corpus = load_corpus([write(f"{name}.txt", raw)], reference_year=2025)
            listings = corpus.listings
            assert corpus.report.files[0].line_endings == [name]
            assert len(listings) == n and corpus.report.rejections == []
            assert listings["source_line"].tolist() == [5 + 8 * i for i in range(n)]
            assert listings["meta_line"].tolist() == [9 + 8 * i for i in range(n)]
            assert (listings["authors_count"] == 3).all() and (listings["upvotes"] == 3).all()
            assert listings["title"].tolist() == ["Title 0" + "x" * (cut + shift)] + [f"Title {i}" for i in range(1, n)]


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_fallback_warning_names_the_line_whatever_the_line_endings(write, ending):
    text = "new\n\nSubscribe\n\nOct 3\n\nCafé Culture\n\nAn abstract.\n".replace("\n", ending)
    corpus = load_corpus([write("page.txt", text.encode("cp1252"))], reference_year=2025)
    # `é` is the byte 0xE9 in cp1252, on line 7 (the title).
    assert corpus.report.files[0].warnings == [
        "not valid UTF-8 (line 7); decoded as cp1252 (check accented characters)"]
    assert corpus.listings["title"].tolist() == ["Café Culture"]
    assert corpus.listings["flags"].tolist() == [["encoding_fallback"]]


@pytest.mark.parametrize(("pieces", "kinds"), [
    ([b"a\r\nb\r\n", b"c\r\nd\r\n"], ["CRLF"]),
    ([b"a\r\nb\r\n", b"c\nd\r\n"], ["CRLF", "LF"]),  # a bare LF only in the second chunk
    ([b"a\nb\n", b"c\r\nd\n"], ["CRLF", "LF"]),  # LF seen first: not counted again
    ([b"a\r\nb\r", b"\nc\rd"], ["CR", "CRLF"]),  # a CRLF split across chunks, then a bare CR
    ([b"a\rb\r\n", b"c\r\n"], ["CR", "CRLF"]),
    ([b"a\r\r\n", b"b\r"], ["CR", "CRLF"]),  # CR CRLF, and a bare CR that ends the file (held, then final)
    ([b"\r\r", b"\r\n"], ["CR", "CRLF"]),  # a chunk of bare CRs whose last is held for the next
    ([b"caf\xc3", b"\xa9\r\nx"], ["CRLF"]),  # a UTF-8 character cut in two by the chunk boundary
])
def test_line_ending_kinds_across_chunks(monkeypatch, tmp_path, pieces, kinds):
    # Each chunk is read on its own: the kinds found are the union over the chunks, however the text is cut.
    from nbkit.sources import textio

    monkeypatch.setattr(textio, "CHUNK_BYTES", len(pieces[0]))
    path = tmp_path / "endings.txt"
    path.write_bytes(b"".join(pieces))
    text, info = textio.read_text(path, lambda chunks: "".join(chunk.text for chunk in chunks), chunks=True)
    assert text == b"".join(pieces).decode().replace("\r\n", "\n").replace("\r", "\n")
    assert info.line_endings == kinds


def test_utf16_line_endings_are_made_lf_in_the_text(write):
    # UTF-16 is not ASCII-compatible: its line breaks are found after decoding (textio._lf_text).
    path = write("page.txt", "a\r\nb\rc\nd".encode("utf-16"))
    from nbkit.sources import textio

    text, info = textio.read_text(path, lambda chunks: "".join(chunk.text for chunk in chunks), chunks=True)
    assert (text, info.line_endings) == ("a\nb\nc\nd", ["CR", "CRLF", "LF"])
