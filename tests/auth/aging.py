"""Links made in the past: the account-link serializer signs with an older timestamp while
patched, and nothing else does (sessions and CSRF tokens keep the real clock)."""

from itsdangerous import TimestampSigner

from portal.services.accounts import links


def age_new_links(monkeypatch, seconds: int) -> None:
    """Account links made from now on carry a timestamp `seconds` in the past."""
    real = links._serializer

    class Older(TimestampSigner):
        """A signer whose clock is behind."""

        def get_timestamp(self) -> int:
            return super().get_timestamp() - seconds

    def serializer(purpose):
        """The real serializer, with the older signer."""
        made = real(purpose)
        made.signer = Older
        return made

    monkeypatch.setattr(links, "_serializer", serializer)
