"""Periodic work-order jobs: reminders before the deadline, escalation after it."""
