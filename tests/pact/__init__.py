"""The PACT v2 specification, vendored (see spec/LICENSE.md), and its JSON schemas."""
