// The header the sideways include names.
