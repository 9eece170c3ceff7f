// The header the upward include names.
