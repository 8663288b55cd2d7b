"""`rules.score` for many seekers against many postings at once, with numpy: the same four parts and the same
integer arithmetic, on codes turned into integer ids (a property test holds it equal to `rules.score`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from renshe.recruitment import rules

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Side:
    """One side's features as integer arrays: occupation (exact, middle category, major category), place
    (county, city, province), salary in fen, education code (0 for none)."""

    occupation: Ints
    middle: Ints
    major: Ints
    county: Ints
    city: Ints
    province: Ints
    salary: Ints
    education: Ints


class Codes:
    """Integer ids for codes, shared by both sides so that equal codes get equal ids."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def id(self, code: str) -> int:
        return self._ids.setdefault(code, len(self._ids) + 1)


def side(codes: Codes, occupations: Sequence[str], divisions: Sequence[str], salaries: Sequence[int],
         educations: Sequence[str]) -> Side:
    def ids(values: Sequence[str]) -> Ints:
        return np.fromiter((codes.id(v) for v in values), dtype=np.int64, count=len(values))

    middles = np.fromiter((codes.id(o[:4]) if len(o) >= 4 else 0 for o in occupations), dtype=np.int64,
                          count=len(occupations))  # 0: no middle category, which matches none
    return Side(ids(occupations), middles, ids([o[:1] for o in occupations]), ids(divisions),
                ids([d[:4] for d in divisions]), ids([d[:2] for d in divisions]),
                np.asarray(salaries, dtype=np.int64), np.asarray([int(e or 0) for e in educations], dtype=np.int64))


def scores(seekers: Side, jobs: Side) -> Ints:
    """The (seekers × jobs) matrix of `rules.score` totals."""
    def pair(a: Ints, b: Ints) -> npt.NDArray[np.bool_]:
        return a[:, None] == b[None, :]  # type: ignore[no-any-return]

    small = np.int16
    middle = pair(seekers.middle, jobs.middle) & (seekers.middle[:, None] > 0)
    total = np.where(pair(seekers.occupation, jobs.occupation), small(40),
                     np.where(middle, small(30), np.where(pair(seekers.major, jobs.major), small(15), small(0))))
    total += np.where(pair(seekers.county, jobs.county), small(25),
                      np.where(pair(seekers.city, jobs.city), small(18),
                               np.where(pair(seekers.province, jobs.province), small(8), small(0))))
    expected, top = seekers.salary[:, None], jobs.salary[None, :]
    total += np.where((expected <= 0) | (top >= expected), 20,
                      (20 * top) // np.maximum(expected, 1)).astype(small)
    own, asked = seekers.education[:, None], jobs.education[None, :]
    total += np.where((asked == 0) | ((own > 0) & (own != 90) & (own <= asked)), small(15), small(0))
    return total.astype(np.int64)


def top(matrix: Ints, count: int) -> tuple[Ints, Ints]:
    """Per row, the column indexes of the COUNT highest scores (ties: the later column, i.e. the newer
    posting, first) and those scores, best first."""
    count = min(count, matrix.shape[1])
    if count == 0:
        empty = np.zeros((matrix.shape[0], 0), dtype=np.int64)
        return empty, empty
    columns = matrix.shape[1]
    keyed = matrix * (columns + 1) + np.arange(columns)[None, :]  # unique keys: score first, then the column
    part = np.argpartition(-keyed, count - 1, axis=1)[:, :count]
    order = np.argsort(-np.take_along_axis(keyed, part, axis=1), axis=1)
    best = np.take_along_axis(part, order, axis=1)
    return best.astype(np.int64), np.take_along_axis(matrix, best, axis=1).astype(np.int64)


def check_against_rules(seekers: Sequence[rules.Seeker], jobs: Sequence[rules.Job]) -> bool:
    """True if the matrix equals `rules.score` for every pair (used by the tests)."""
    codes = Codes()
    left = side(codes, [s.occupation_code for s in seekers], [s.division_code for s in seekers],
                [s.salary_expected_fen for s in seekers], [s.education for s in seekers])
    right = side(codes, [j.occupation_code for j in jobs], [j.division_code for j in jobs],
                 [j.salary_max_fen for j in jobs], [j.education for j in jobs])
    matrix = scores(left, right)
    return all(int(matrix[i, k]) == rules.score(s, j).total for i, s in enumerate(seekers) for k, j in enumerate(jobs))
