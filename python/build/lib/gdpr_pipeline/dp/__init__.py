"""Differential privacy of the analytics release.

`mechanism` holds the OpenDP step the dbt Python model `dp_analytics_cells_noised` runs (it
imports OpenDP, which takes seconds to load, so nothing else imports it); `evidence` reads the
ledger and settings for the evidence page.
"""
