"""Co-control measures and scenarios: named, versioned changes to a product's model, and
jobs that evaluate them (and portfolios of them) against a baseline footprint."""
