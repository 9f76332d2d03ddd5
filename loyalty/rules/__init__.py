"""The earning rules: the engine that prices a sale in points, and the rule book's schema and loader."""
