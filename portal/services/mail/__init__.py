"""Mail: the outbox written with each change, and the senders that deliver it."""
