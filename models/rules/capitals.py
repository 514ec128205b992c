"""An amount in Chinese capitals (人民币大写) for receipts and contracts: 8,500.00 → 捌仟伍佰元整.

The banking convention: digits 零壹贰叁肆伍陆柒捌玖 with 拾佰仟 inside each group of four and 万 / 亿 between groups;
a run of zeros between two written digits is one 零 (10,500 → 壹万零伍佰); 整 after 元 when there are no 角 or 分; an
amount under one yuan has no 元 (0.01 → 壹分); 分 after a zero 角 takes a 零 (1.05 → 壹元零伍分).
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("仟", "佰", "拾", "")  # within a group of four, most significant first
GROUPS = ("", "万", "亿", "万亿")  # from the least significant group
#: 9,999,999,999,999,999 fen (just under ¥1 亿亿): far beyond any order, and within 万亿's groups.
MAX_FEN = 10**18 - 1


def amount_in_capitals(fen: int) -> str:
    """The capitals of a non-negative amount in integer fen (a refund's amount is written without its sign)."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, got {type(fen).__name__}")
    if not 0 <= fen <= MAX_FEN:
        raise ValueError(f"amount out of range: {fen} fen")
    yuan, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    words = _yuan_words(yuan)
    if yuan == 0 and rest:
        words = ""  # 0.05 is 伍分, not 零元伍分
    elif words:
        words += "元"
    else:
        words = "零元"
    if rest == 0:
        return words + "整"
    if jiao:
        words += DIGITS[jiao] + "角"
    elif yuan:
        words += "零"  # 1.05: 壹元零伍分
    if fen_digit:
        words += DIGITS[fen_digit] + "分"
    return words


def _yuan_words(yuan: int) -> str:
    """The integer part; empty for zero."""
    groups: list[int] = []
    while yuan:
        yuan, group = divmod(yuan, 10_000)
        groups.append(group)
    words: list[str] = []
    zero_pending = False  # a zero met after a written digit, waiting for the next written digit
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        for place, digit in zip(PLACES, f"{group:04d}", strict=True):
            if digit == "0":
                zero_pending = zero_pending or bool(words)
                continue
            if zero_pending:
                words.append("零")
                zero_pending = False
            words.append(DIGITS[int(digit)] + place)
        if group:
            words.append(GROUPS[index])
    return "".join(words)
