"""Pages of rows for the staff lists: Flask-SQLAlchemy's pagination over a select whose
rows have several columns (a ticket with its client's name and hours, say).

Flask-SQLAlchemy's own `db.paginate` keeps only the first column of each row; its
`Pagination` base class is made to be extended through `_query_items`, as its own
`SelectPagination` does, so this subclass does the same for whole rows.
"""

from flask_sqlalchemy.pagination import SelectPagination

from portal.extensions import db


class RowPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination, with whole result rows instead of the first column."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate_rows(query, page: int, per_page: int) -> RowPagination:
    """A page of rows of a multi-column select, with the total count."""
    return RowPagination(
        select=query,
        session=db.session(),
        page=page,
        per_page=per_page,
        max_per_page=200,
        error_out=False,
    )
