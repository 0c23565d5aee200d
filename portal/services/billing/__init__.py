"""Billing periods, the monthly close, billable items and invoices."""
