"""The operator console (运营控制台, SPEC.md §15) under /ops: its own sign-in and session kind (web.ops.guard)."""
