"""Chinese full-text search (中文全文检索): words segmented by rjieba (jieba's dictionary and algorithm in
Rust), kept in a search table beside the documents' own table, matched by the database's own engine.

- SQLite (the embedded default): an FTS5 virtual table `search_<name>(terms)` whose rowid is the document's
  id; the terms are stored space-separated and FTS5's `unicode61` tokenizer splits them back.
- PostgreSQL (production): a table `search_<name>(doc_id, terms tsvector)` with a GIN index; the terms go in
  through `array_to_tsvector` and the query through a `tsquery` literal, so PostgreSQL's own parser, which does
  not know Chinese words, never sees the text.

Documents are indexed with `cut_for_search` (a long word also yields its parts: 软件开发工程师 → 软件, 开发,
软件开发, 工程, 工程师); a query is segmented precisely and every word must match. So "软件工程师" finds
"软件开发工程师" although it is no substring of it. Search tables are named `search_*`; they are made by the
migrations for each dialect and are not part of the ORM's metadata (`is_search_table`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import rjieba
from sqlalchemy import ColumnElement, Integer, bindparam, cast, column, literal_column, text
from sqlalchemy import table as sql_table
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause, TableClause

PREFIX = "search_"
MAX_TERM = 32  # characters; a longer run (a URL, a serial number) is cut
MAX_QUERY_TERMS = 12
_NAME = re.compile(r"^search_[a-z_]{1,40}$")
_WORDLIKE = re.compile(r"\w")


def is_search_table(name: str | None) -> bool:
    """Tables made for full-text search by the migrations (and FTS5's shadow tables), outside the ORM."""
    return bool(name) and str(name).startswith(PREFIX)


def _clean(words: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for word in words:
        term = word.strip().lower()[:MAX_TERM]
        if term and _WORDLIKE.search(term):
            seen.setdefault(term, None)
    return list(seen)


def terms(*texts: str | None) -> list[str]:
    """The distinct terms a document is found by: each text segmented for search, plus every dictionary word
    of two or more characters inside it (jieba's full mode), so that a query word that is a substring of the
    text is a term of it (数据分析 in 数据分析师, which search mode splits into 数据, 分析, 分析师)."""
    found: list[str] = []
    for value in texts:
        if value:
            found += rjieba.cut_for_search(value)
            found += [w for w in rjieba.cut_all(value) if len(w) > 1]
    return _clean(found)


def query_terms(query: str) -> list[str]:
    """The words of a query, each of which a document must contain (at most MAX_QUERY_TERMS). A single
    character left over by the segmentation (员 in 快递员) is dropped when longer words remain: as a prefix
    it would match a large share of the index at a high cost, and the longer words carry the meaning."""
    words = _clean(rjieba.cut(query))
    longer = [w for w in words if len(w) > 1]
    return (longer or words)[:MAX_QUERY_TERMS]


def _table(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a search table: {name!r}")
    return name


def create_table_sql(dialect: str, name: str) -> list[str]:
    """DDL of search table NAME for DIALECT (used by the migrations)."""
    table = _table(name)
    if dialect == "postgresql":
        return [f"CREATE TABLE {table} (doc_id BIGINT PRIMARY KEY, terms TSVECTOR NOT NULL)",
                f"CREATE INDEX ix_{table}_terms ON {table} USING gin (terms)"]
    return [f"CREATE VIRTUAL TABLE {table} USING fts5(terms, tokenize = 'unicode61 remove_diacritics 0')"]


def drop_table_sql(name: str) -> list[str]:
    return [f"DROP TABLE IF EXISTS {_table(name)}"]


def put(session: Session, name: str, documents: Sequence[tuple[int, Sequence[str]]]) -> None:
    """Index (or re-index) DOCUMENTS: (document id, its terms)."""
    if not documents:
        return
    table = _table(name)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"INSERT INTO {table} (doc_id, terms) "  # noqa: S608
                             "VALUES (:id, array_to_tsvector(CAST(:terms AS text[]))) "
                             "ON CONFLICT (doc_id) DO UPDATE SET terms = excluded.terms"),
                        [{"id": doc, "terms": list(words)} for doc, words in documents])
        return
    remove(session, name, [doc for doc, _ in documents])
    session.execute(text(f"INSERT INTO {table} (rowid, terms) VALUES (:id, :terms)"),  # noqa: S608
                    [{"id": doc, "terms": " ".join(words)} for doc, words in documents])


def remove(session: Session, name: str, ids: Sequence[int]) -> None:
    if not ids:
        return
    table = _table(name)
    key = "doc_id" if session.get_bind().dialect.name == "postgresql" else "rowid"
    session.execute(text(f"DELETE FROM {table} WHERE {key} = :id"), [{"id": doc} for doc in ids])  # noqa: S608


def _sqlite_query(words: Sequence[str]) -> str:
    """FTS5 strings, implicitly ANDed; a one-character word matches the terms it begins (a prefix query)."""
    return " ".join('"' + w.replace('"', '""') + '"' + ("*" if len(w) == 1 else "") for w in words)


def _pg_query(words: Sequence[str]) -> str:
    return " & ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" + (":*" if len(w) == 1 else "")
                      for w in words)


@dataclass(frozen=True)
class Match:
    """A search table to join on, its document id column, and the condition that every word matches.

    Join it to the documents' table on `key`, add `condition`, and order by `key` descending for the newest
    first: on SQLite, FTS5 then walks the matches in rowid order and the query stops at its LIMIT."""

    source: TableClause
    key: ColumnClause[int]
    condition: ColumnElement[bool]


def match(dialect: str, name: str, words: Sequence[str]) -> Match:
    table = _table(name)
    if dialect == "postgresql":
        source = sql_table(table, column("doc_id", Integer), column("terms"))
        condition = source.c.terms.op("@@")(cast(bindparam("fts", _pg_query(words)), TSQUERY))
        return Match(source, source.c.doc_id, condition)
    source = sql_table(table, column("rowid", Integer))
    return Match(source, source.c.rowid, literal_column(table).op("MATCH")(bindparam("fts", _sqlite_query(words))))


def params(words: Sequence[str], dialect: str) -> dict[str, Any]:
    """The bound value of a match, for code that writes its own SQL (benchmarks)."""
    return {"fts": _pg_query(words) if dialect == "postgresql" else _sqlite_query(words)}
