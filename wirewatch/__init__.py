"""The wirewatch service: wiring of ingest -> enrich -> index, the CLI and the local stack."""
