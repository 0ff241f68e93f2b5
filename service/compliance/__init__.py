"""Compliance outputs of footprint results: EU CBAM data, EU battery carbon-footprint
declaration data, ISO 14067 report."""
