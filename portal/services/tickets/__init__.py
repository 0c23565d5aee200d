"""Tickets: the conversation, the queue, and the time logged on them."""
