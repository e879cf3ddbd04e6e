"""Reliability under load, faults and hostile input (issue 12): one module per scenario."""
