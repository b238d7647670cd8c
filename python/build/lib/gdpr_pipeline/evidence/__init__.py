"""Evidence for a DPO: collect.py gathers it, render.py writes the page."""
