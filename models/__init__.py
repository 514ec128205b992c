"""Domain models: tables, pure rules and services."""
