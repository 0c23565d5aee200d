"""Client accounts, their subscriptions, and their usage month by month."""
