"""Pure business rules of the Partner Support Plan console (SPEC.md §1-6).

Nothing here does I/O, reads the clock or touches the database: callers pass
`now` (an aware datetime) and plain values in, and get `Decimal`s, dates and
small frozen dataclasses back. Money is `Decimal` (never float), rounded once
to the fen, half up, where the spec says so.
"""
