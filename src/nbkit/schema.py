"""The corpus schema, defined once: the listings table, the papers table and the flags they carry.

Every reader produces listings in this shape, cleaning and deduplication fill in the derived columns, and every
later stage (topics, trends, comparisons) reads these names. The README's schema section is generated from here
(`python -m nbkit schema`) and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

# Text columns keep Python str objects (pandas' "python" string storage): building the tables then never copies
# the abstracts, which for a large corpus are most of its memory.
STRING = pd.StringDtype("python")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # a pandas dtype name; "list" marks an object column holding lists of str
    description: str


LISTING_COLUMNS: tuple[Column, ...] = (
    Column("listing_id", "Int64", "Position of the listing in load order (0-based); stable for the same inputs."),
    Column("paper_id", "string", "The paper this listing was merged into (see papers.paper_id)."),
    Column("source_file", "string", "Input file, relative to the input path it was found under."),
    Column("source_format", "string", "Reader used (nbkit.sources.FORMATS): hf_page, hf_markdown, csv, tsv, "
           "jsonl, json, parquet, arxiv, arxiv_atom, ris, wos, medline, bibtex, openalex, s2 or csl_json."),
    Column("source_line", "Int64", "Line where the listing starts (its title); the record number for Parquet "
           "and JSON arrays."),
    Column("abstract_line", "Int64", "Line of the abstract paragraph (HF pages only)."),
    Column("meta_line", "Int64", "Line of the metadata block (HF pages only)."),
    Column("collection", "string", "Collection the listing was found in: an HF page's file stem unless renamed, "
           "or a `collection` column."),
    Column("title", "string", "Title as written, after Unicode NFC, whitespace and control-character cleaning."),
    Column("abstract", "string", "Abstract, cleaned like the title; missing when the listing had none."),
    Column("authors", "string", "Author names, when the source gives them."),
    Column("authors_count", "Int64", "Number of authors."),
    Column("date_text", "string", "The date as the source wrote it (for HF pages without the upvote count)."),
    Column("published", "datetime64[s]", "Publication date (for year or month precision, the first day)."),
    Column("date_precision", "string", "day, month or year; missing when there is no date."),
    Column("date_inferred", "boolean", "True when the year was not written and had to be inferred."),
    Column("upvotes", "Int64", "Upvote count shown on the page, when shown."),
    Column("page_date", "datetime64[s]", "Date printed in the HF page header (year inferred like listing dates)."),
    Column("arxiv_id", "string", "arXiv identifier without version, when known."),
    Column("doi", "string", "DOI, normalized: lower case, without a resolver prefix such as https://doi.org/."),
    Column("pmid", "string", "PubMed id, when the source gives one."),
    Column("openalex_id", "string", "OpenAlex work id (W + digits), when the source gives one."),
    Column("s2_id", "string", "Semantic Scholar paper id, when the source gives one."),
    Column("categories", "list", "arXiv or source categories."),
    Column("code_urls", "list", "Code or project URLs found in the abstract."),
    Column("title_key", "string", "Normalized title used for matching: accents, case, punctuation and spacing "
           "removed; missing when the title has no letter or digit (it then never merges listings)."),
    Column("flags", "list", "Quality flags (see the flag table)."),
)

PAPER_COLUMNS: tuple[Column, ...] = (
    Column("paper_id", "string", "Stable id: `p` + 16 hex digits of SipHash-2-4 (pandas' hash_array with nbkit's "
           "own keys) over the arXiv id when one is known (the smallest, if the listings differ), else over the "
           "DOI (the smallest), else over the title key, else (a title with no letters or digits) over the file "
           "and line of its first listing."),
    Column("title", "string", "Title of the first listing (load order)."),
    Column("abstract", "string", "First non-missing abstract among the listings."),
    Column("authors", "string", "First non-missing author names."),
    Column("authors_count", "Int64", "First non-missing author count (listings that disagree are flagged "
           "`conflict:authors_count`)."),
    Column("published", "datetime64[s]", "The listings' most precise date; a written year beats an inferred "
           "one; the earliest breaks ties."),
    Column("date_precision", "string", "Precision of that earliest date."),
    Column("date_inferred", "boolean", "Whether that earliest date's year was inferred."),
    Column("upvotes", "Int64", "Highest upvote count among the listings (counts grow over time)."),
    Column("collections", "list", "Collections the paper was listed in, in load order."),
    Column("n_listings", "Int64", "Number of listings merged into this paper."),
    Column("first_seen", "string", "`file:line` of the first listing."),
    Column("code_urls", "list", "Union of the listings' code and project URLs."),
    Column("arxiv_id", "string", "arXiv identifier, when known."),
    Column("doi", "string", "First non-missing normalized DOI (listings that disagree are flagged `conflict:doi`)."),
    Column("pmid", "string", "First non-missing PubMed id (disagreeing listings: `conflict:pmid`)."),
    Column("openalex_id", "string", "First non-missing OpenAlex work id (disagreeing listings: "
           "`conflict:openalex_id`)."),
    Column("s2_id", "string", "First non-missing Semantic Scholar id (disagreeing listings: `conflict:s2_id`)."),
    Column("categories", "list", "Union of the listings' categories."),
    Column("title_key", "string", "Normalized title of the first listing."),
    Column("flags", "list", "Union of the listings' flags, plus `conflict:<field>` where listings disagree."),
)

FLAGS: dict[str, str] = {
    "missing_abstract": "A title with no abstract after it (cut off at the end of the file, or followed by a "
                        "metadata block or the next title).",
    "year_inferred": "The date was written without a year; the year was inferred (see reference_year).",
    "year_rolled_back": "The inferred date fell after the page date, so the previous year was used.",
    "invalid_date": "The date text could not be read as a date; `date_text` keeps it.",
    "encoding_fallback": "The file was not valid UTF-8 and was decoded with the cp1252/latin-1 fallback.",
    "no_page_header": "The HF page had no header, so its page date is unknown.",
    "date_from_update": "arXiv record without versions: the date is its update_date.",
    "count_abbreviated": "A count was written abbreviated (`2.71k`, `1.2M`) and read as 2710 or 1200000: the "
                         "last digits are not known.",
    "day_month_ambiguous": "A date like `5/6/2019` could be 6 May or 5 June; it was read month first (US order).",
    "extra_fields": "A CSV/TSV row had more fields than the header (Scopus ends rows with a comma): it was read "
                    "from its first fields; extra values that were not empty are quoted in the report warnings.",
    "unterminated_record": "A RIS or Web of Science record with no end tag (ER) before the next record or the end "
                           "of the file: it may have been cut short.",
    "latex_undecoded": "BibTeX: a field's LaTeX could not be turned into Unicode and is kept as written.",
    "conflict:authors_count": "Papers only: the merged listings give different author counts.",
    "conflict:published": "Papers only: the merged listings give different dates.",
    "conflict:abstract": "Papers only: the merged listings have different abstracts.",
    "conflict:doi": "Papers only: listings joined by arXiv id give different DOIs (a preprint and its journal "
                    "version); the first is kept.",
    "conflict:pmid": "Papers only: the merged listings give different PubMed ids.",
    "conflict:openalex_id": "Papers only: the merged listings give different OpenAlex ids.",
    "conflict:s2_id": "Papers only: the merged listings give different Semantic Scholar ids.",
    "invalid_doi": "The source's DOI field holds text that is not a DOI (no `10.` prefix and `/`); it is not used.",
}

LIST_COLUMNS = frozenset(c.name for c in (*LISTING_COLUMNS, *PAPER_COLUMNS) if c.dtype == "list")


def _conform(data: pd.DataFrame | dict[str, Any], columns: tuple[Column, ...], table: str) -> pd.DataFrame:
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    missing = [c.name for c in columns if c.name not in frame.columns]
    if missing:
        raise ValueError(f"{table} table is missing columns {missing}")
    out = {}
    for col in columns:
        values = frame[col.name]
        if col.dtype == "list":
            out[col.name] = values.astype(object)
        elif col.dtype == "string":
            # Python-object storage: the abstracts are not copied again (pyarrow storage would copy ~all text).
            out[col.name] = values.astype(STRING)
        elif col.dtype.startswith("datetime64"):
            out[col.name] = pd.to_datetime(values).astype(col.dtype)
        else:
            out[col.name] = values.astype(col.dtype)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), copy=False)  # copy on write keeps `data` apart


def listings_frame(data: pd.DataFrame | dict[str, Any]) -> pd.DataFrame:
    """Cast and order a listings table to the schema (raises ValueError on a missing column: a bug, not input)."""
    return _conform(data, LISTING_COLUMNS, "listings")


def papers_frame(data: pd.DataFrame | dict[str, Any]) -> pd.DataFrame:
    """Cast and order a papers table to the schema."""
    return _conform(data, PAPER_COLUMNS, "papers")


def markdown(columns: tuple[Column, ...]) -> str:
    """The columns as a Markdown table, as the README shows them."""
    rows = ["| column | type | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{c.name}` | {c.dtype} | {c.description} |" for c in columns]
    return "\n".join(rows)


def flags_markdown() -> str:
    rows = ["| flag | meaning |", "| --- | --- |"]
    rows += [f"| `{name}` | {text} |" for name, text in FLAGS.items()]
    return "\n".join(rows)
