"""Demo-mode-only pages (CONSOLE_DEMO=1): the per-browser test clock."""
