"""消息中心 and 通知设置 (issue 15, SPEC.md §16)."""
