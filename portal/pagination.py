"""Pages of rows for the staff lists: Flask-SQLAlchemy's pagination over a select whose
rows have several columns (a ticket with its client's name and hours, say).

Flask-SQLAlchemy's own `db.paginate` keeps only the first column of each row; its
`Pagination` base class is made to be extended through `_query_items`, as its own
`SelectPagination` does, so this subclass does the same for whole rows.
"""

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import func

from portal.extensions import db


class CountSelectPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination, with the total from a `count` select when one is
    given: its own count wraps the whole select (every column, joins) in a subquery, which
    costs tens of milliseconds over tables of 100,000 rows that `count(*)` of the filtered
    table reads from an index."""

    def _query_count(self) -> int:
        count = self._query_args.get("count_query")
        if count is None:
            return super()._query_count()
        return self._query_args["session"].scalar(count)


class RowPagination(CountSelectPagination):
    """Flask-SQLAlchemy's pagination, with whole result rows instead of the first column."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate_rows(
    query, page: int, per_page: int, kind=RowPagination, *, count=None
) -> CountSelectPagination:
    """A page of rows of a multi-column select, with the total count (from `count`, a
    select of one number, when given; `kind` CountedPagination to have both in one
    statement, CountSelectPagination to have the first column's objects)."""
    return kind(
        select=query,
        count_query=count,  # not `count`: Pagination's own flag of that name
        session=db.session(),
        page=page,
        per_page=per_page,
        max_per_page=200,
        error_out=False,
    )


def paginate_objects(query, page: int, per_page: int, count) -> CountSelectPagination:
    """A page of the first column's objects (as db.paginate), the total from `count`."""
    return paginate_rows(query, page, per_page, CountSelectPagination, count=count)


class CountedPagination(RowPagination):
    """A page of rows and the count of them all in one statement (`count(*) OVER ()`).

    For a search: the rows it matches are read once, not once for the page and again for
    the count. Not for unfiltered lists: the window reads every row, where a plain count
    reads an index and the page the first rows of its order. A page past the end has no
    row to carry the count; it is then counted apart, as RowPagination does.
    """

    def _query_items(self) -> list:
        select = (
            self._query_args["select"]
            .add_columns(func.count().over())
            .limit(self.per_page)
            .offset(self._query_offset)
        )
        rows = self._query_args["session"].execute(select).all()
        self._counted = rows[0][-1] if rows else (0 if self.page == 1 else None)
        return [row[:-1] for row in rows]

    def _query_count(self) -> int:
        return self._counted if self._counted is not None else super()._query_count()


def paginate_counted(query, page: int, per_page: int) -> CountedPagination:
    """A page of rows of a multi-column select with the total count, in one statement."""
    return paginate_rows(query, page, per_page, CountedPagination)
