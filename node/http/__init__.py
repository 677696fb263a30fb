"""HTTP blueprints: federation endpoints, the JSON API, problem+json errors, OpenAPI."""
