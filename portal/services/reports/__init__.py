"""Reports for staff: hours, the audit log, and CSV exports."""
