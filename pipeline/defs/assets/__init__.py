"""Assets by layer: raw files in, validation, SQL models, publication."""
