"""`partner-console`: the operator's command line (SPEC.md §10).

Every error is one line on stderr (`error: …`, never a traceback) and a non-zero exit: 2 for a refusal, a bad
argument or setting, an unreachable or unmigrated database, or anything unexpected; 130 when interrupted (Ctrl-C)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import sys
import warnings
from collections.abc import Callable
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

from asyncpg.exceptions import InterfaceError as PostgresInterfaceError
from asyncpg.exceptions import (
    InvalidAuthorizationSpecificationError,
    InvalidCatalogNameError,
    PostgresConnectionError,
    PostgresError,
    UndefinedColumnError,
    UndefinedTableError,
)

from models.db import engine_from_url, use_engine
from models.i18n import gettext
from models.rules.money import AmountError, format_money, parse_amount, to_fen
from models.services.errors import DomainError
from web.settings import Settings

ERROR_EXIT = 2
INTERRUPTED_EXIT = 130


class CliError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line too (the usage itself is behind --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(ERROR_EXIT, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _settings() -> Settings:
    settings = Settings.from_env()
    try:
        use_engine(engine_from_url(settings.database_url))
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise CliError(f"cannot open the database {_shown_url(settings.database_url)}: {exc}") from exc
    return settings


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from models.db import current_engine, is_postgres

    if not is_postgres():
        await current_engine().run_ddl("PRAGMA journal_mode=WAL")
    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not result.success:
        raise CliError(f"migration failed: {result.message}")
    print("database is up to date")


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from models.services.demo import PASSWORD, load_demo

    logins = await load_demo(settings.clock.now())
    print(f"Demo logins (password for all: {PASSWORD}):")
    for login, description in logins:
        print(f"  {login:<18} {description}")


async def cmd_create_partner(args: argparse.Namespace, settings: Settings) -> None:
    """创建主帐号 as on the operator console's 合作伙伴 (models.services.ops_partners), with its audit row."""
    from models.services import ops_partners
    from models.services.cli_operator import command_line_operator

    now = settings.clock.now()
    await ops_partners.create_partner(
        await command_line_operator(now, args.operator),
        now,
        login=args.login,
        password=args.password,
        company=args.company,
        certified=args.certified,
        phone=args.phone,
        email=args.email,
    )
    print(f"created partner main account {args.login}")


async def cmd_create_member(args: argparse.Namespace, settings: Settings) -> None:
    """创建子帐号 as on the operator console's 合作伙伴 (models.services.ops_partners), with its audit row."""
    from models.services import ops_partners
    from models.services.cli_operator import command_line_operator

    now = settings.clock.now()
    await ops_partners.create_member(
        await command_line_operator(now, args.operator),
        now,
        login=args.login,
        main_login=args.partner,
        password=args.password,
        company=args.company,
        phone=args.phone,
        email=args.email,
    )
    print(f"created member account {args.login} under {args.partner}")


async def cmd_create_operator(args: argparse.Namespace, settings: Settings) -> None:
    from models.services.operators import create_operator

    await create_operator(args.login, args.password, settings.clock.now())
    print(f"created operator {args.login} (sign in at /ops/login)")


async def cmd_certify(args: argparse.Namespace, settings: Settings) -> None:
    """认证 / 取消认证 as on the operator console (models.services.ops_partners.set_certified), with its audit row;
    asking for the state the partner is already in changes nothing and says so."""
    from models.services import ops_partners
    from models.services.cli_operator import command_line_operator
    from models.services.errors import Conflict

    now = settings.clock.now()
    partner_id = await ops_partners.partner_of_login(args.login)
    try:
        await ops_partners.set_certified(
            await command_line_operator(now, args.operator), partner_id, not args.revoke, now, args.reason
        )
    except Conflict:
        print(f"{args.login}: certified={not args.revoke} (unchanged)")
        return
    print(f"{args.login}: certified={not args.revoke}")


def _amount(text: str) -> int:
    try:
        return to_fen(parse_amount(text))
    except AmountError as exc:
        raise CliError(f"bad amount {text!r}: {exc}") from exc


async def cmd_top_up(args: argparse.Namespace, settings: Settings) -> None:
    """余额充值 as on the operator console (models.services.ops_partners.top_up): through the ledger, noted with the
    operator and the reason, with its audit row."""
    import secrets

    from models.rules.money import to_decimal
    from models.services import ops_partners
    from models.services.cli_operator import command_line_operator

    amount = _amount(args.amount)
    now = settings.clock.now()
    done = await ops_partners.top_up(
        await command_line_operator(now, args.operator),
        now,
        login=args.login,
        amount=str(to_decimal(amount)),
        reason=args.reason,
        request_key=secrets.token_hex(16),
    )
    print(f"{args.login}: balance {format_money(done.balance_fen, 'en')}")


async def cmd_messages(args: argparse.Namespace, settings: Settings) -> None:
    from models.rules.money import format_datetime_cn
    from models.services.accounts import account_by_login
    from models.services.notifications import messages_for

    account = await account_by_login(args.login)
    messages = await messages_for(account.id)
    if not messages:
        print(f"no messages for {args.login}")
    for message in messages:
        print(f"[{format_datetime_cn(message.created_at)}] ({message.channel}) {message.subject}\n    {message.body}")


async def cmd_coupon_grant(args: argparse.Namespace, settings: Settings) -> None:
    """The rules of the operator console's 优惠券 (models.services.coupons.grant_by), with its audit row."""
    from models.enums import CouponKind
    from models.services import coupons
    from models.services.cli_operator import command_line_operator

    now = settings.clock.now()
    voucher = args.voucher is not None
    wanted = coupons.GrantRequest(
        login=args.login,
        kind=CouponKind.VOUCHER if voucher else CouponKind.DISCOUNT,
        amount=args.voucher or "",
        minimum=(args.minimum or "") if voucher else "",
        rate="" if voucher else args.discount,
        expires=args.expires or "",
    )
    coupons.check_grant(wanted, now)  # a bad option is refused before anything is written
    granted = await coupons.grant_by(await command_line_operator(now, args.operator), wanted, now)
    print(f"granted coupon {granted.coupon.id} to {granted.login}")


async def cmd_confirm_offline(args: argparse.Namespace, settings: Settings) -> None:
    """确认到账 as on the operator console's 线下合同订单 (models.services.offline_payments.confirm)."""
    from models.services import offline_payments
    from models.services.cli_operator import command_line_operator

    now = settings.clock.now()
    reference = offline_payments.check_reference(args.reference)
    await offline_payments.waiting_order(args.order_id)  # an unknown order is refused before anything is written
    done = await offline_payments.confirm(
        await command_line_operator(now, args.operator), args.order_id, reference, now
    )
    again = " (already confirmed with this reference)" if done.replay else ""
    print(f"order {done.order.id}: {done.order.status}{again}")


async def cmd_catalog_show(args: argparse.Namespace, settings: Settings) -> None:
    """价格目录: the version in force now and the versions to come, one per line."""
    from models.services import catalog

    current, upcoming = await catalog.current_and_upcoming(settings.clock.now())
    for version, state in [(current, "current"), *((v, "upcoming") for v in upcoming)]:
        print(f"version {version.id} ({state}): {catalog.summary(version)}")


async def cmd_catalog_add(args: argparse.Namespace, settings: Settings) -> None:
    """A new price catalog version, as on the operator console's 价格目录 (models.services.catalog.add_version)."""
    from models.rules.periods import to_beijing
    from models.services import catalog
    from models.services.cli_operator import command_line_operator

    now = settings.clock.now()
    effective = to_beijing(now).strftime("%Y-%m-%dT%H:%M") if args.effective == "now" else args.effective
    new = catalog.parse_form(
        standard_monthly=args.standard,
        premium_monthly=args.premium,
        pack_price=args.pack,
        yearly_discount=args.discount,
        effective_at=effective,
        now=now,
    )  # refused before anything is written
    added = await catalog.add_version(await command_line_operator(now, args.operator), new, now)
    print(f"version {added.id}: {catalog.summary(added)}")


async def cmd_reconcile(args: argparse.Namespace, settings: Settings) -> None:
    """Every gateway transaction and what became of it, one per line, then the counts and sums per outcome."""
    from models.enums import CaptureOutcome
    from models.rules.money import format_datetime_cn
    from models.services.captures import list_all

    listed = await list_all()
    totals = {outcome: [0, 0] for outcome in CaptureOutcome}
    for item in listed:
        moved = item.transaction
        totals[moved.outcome][0] += 1
        totals[moved.outcome][1] += moved.amount_fen
        became = f"credited to {item.credited_login}" if moved.outcome == CaptureOutcome.CREDITED else "paid the order"
        line = (
            f"{format_datetime_cn(moved.received_at)}  {moved.provider}:{moved.transaction_id}  order {moved.order_id}"
            f"  {format_money(moved.amount_fen, 'en')}  {moved.outcome} ({became})"
        )
        print(f"{line}  {moved.note}" if moved.note else line)
    summary = ", ".join(
        f"{outcome} {count} ({format_money(amount, 'en')})" for outcome, (count, amount) in totals.items()
    )
    total = sum(amount for _, amount in totals.values())
    print(f"{len(listed)} gateway transaction(s), {format_money(total, 'en')}: {summary}")


async def cmd_tick(args: argparse.Namespace, settings: Settings) -> None:
    from models.services.jobs import run_due

    done = await run_due(settings.clock.now(), order_lapse_days=settings.order_lapse_days, smtp_url=settings.smtp_url)
    print(", ".join(f"{name}: {count}" for name, count in done.items()))


def _number_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high` (ASCII digits only)."""

    def number(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"give a whole number from {low} to {high} (got {text!r})")
        return int(text)

    return number


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="partner-console", description="Partner Support Plan console")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="create or update the database schema").set_defaults(run=cmd_migrate)
    serve = sub.add_parser("serve", help="serve the console over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_number_in(1, 65535), default=8000)
    serve.add_argument("--workers", type=_number_in(1, 256), default=1)
    serve.set_defaults(run=None)
    sub.add_parser("demo", help="load demo data (idempotent) and print the logins").set_defaults(run=cmd_demo)

    account = sub.add_parser("account", help="manage accounts").add_subparsers(dest="action", required=True)
    partner = account.add_parser("create-partner", help="create a partner's main account")
    partner.add_argument("login")
    partner.add_argument("--password", required=True)
    partner.add_argument("--company", required=True)
    partner.add_argument("--certified", action="store_true")
    partner.add_argument("--phone", default="")
    partner.add_argument("--email", default="")
    partner.add_argument("--operator", help="the operator the audit log names (default: the built-in 'cli')")
    partner.set_defaults(run=cmd_create_partner)
    member = account.add_parser("create-member", help="create a member account under a main account")
    member.add_argument("login")
    member.add_argument("--partner", required=True, help="the main account's login")
    member.add_argument("--password", required=True)
    member.add_argument("--company", required=True)
    member.add_argument("--phone", required=True)
    member.add_argument("--email", required=True)
    member.add_argument("--operator", help="the operator the audit log names (default: the built-in 'cli')")
    member.set_defaults(run=cmd_create_member)
    operator = account.add_parser("create-operator", help="create an operator (运营控制台, /ops/login)")
    operator.add_argument("login")
    operator.add_argument("--password", required=True)
    operator.set_defaults(run=cmd_create_operator)
    certify = account.add_parser("certify", help="mark a partner certified (Service Partner Program)")
    certify.add_argument("login")
    certify.add_argument("--revoke", action="store_true")
    certify.add_argument("--operator", help="the operator the audit log names (default: the built-in 'cli')")
    certify.add_argument("--reason", default="", help="why (the audit log shows it)")
    certify.set_defaults(run=cmd_certify)

    balance = sub.add_parser("balance", help="account balances").add_subparsers(dest="action", required=True)
    top_up = balance.add_parser("top-up", help="add money to an account's balance")
    top_up.add_argument("login")
    top_up.add_argument("amount", help="yuan, e.g. 8500 or 8500.00")
    top_up.add_argument("--operator", help="the operator the audit log names (default: the built-in 'cli')")
    top_up.add_argument("--reason", default="命令行充值", help="充值原因, 1-200 characters (the ledger note shows it)")
    top_up.set_defaults(run=cmd_top_up)

    messages = sub.add_parser("messages", help="notifications sent to an account, newest first")
    messages.add_argument("login")
    messages.set_defaults(run=cmd_messages)

    coupon = sub.add_parser("coupon", help="coupons").add_subparsers(dest="action", required=True)
    grant = coupon.add_parser("grant", help="grant a voucher or a discount coupon to an account")
    grant.add_argument("login")
    kind = grant.add_mutually_exclusive_group(required=True)
    kind.add_argument("--voucher", help="amount off, in yuan")
    kind.add_argument("--discount", help="rate, e.g. 0.9")
    grant.add_argument("--minimum", help="a voucher's minimum order amount, in yuan")
    grant.add_argument("--expires", help="last valid date (Beijing), e.g. 2024-12-31")
    grant.add_argument("--operator", help="the operator the audit log names (default: the built-in 'cli')")
    grant.set_defaults(run=cmd_coupon_grant)

    order_cmds = sub.add_parser("orders", help="orders").add_subparsers(dest="action", required=True)
    confirm = order_cmds.add_parser("confirm-offline", help="confirm that a contract order's payment arrived")
    confirm.add_argument("order_id")
    confirm.add_argument("--reference", default="offline", help="the payment's reference (bank transfer id)")
    confirm.add_argument("--operator", help="the operator the audit log names (default: the built-in 'cli')")
    confirm.set_defaults(run=cmd_confirm_offline)

    catalog_cmds = sub.add_parser("catalog", help="the price catalog (价格目录)").add_subparsers(
        dest="action", required=True
    )
    catalog_cmds.add_parser("show", help="the version in force now and the versions to come").set_defaults(
        run=cmd_catalog_show
    )
    catalog_add = catalog_cmds.add_parser("add", help="a new version of the prices from an effective time")
    catalog_add.add_argument("--standard", required=True, help="标准级's monthly price, in yuan")
    catalog_add.add_argument("--premium", required=True, help="尊享级's monthly price, in yuan")
    catalog_add.add_argument("--pack", required=True, help="a ticket add-on pack's price, in yuan")
    catalog_add.add_argument("--discount", default="0", help="the yearly discount in percent (default 0)")
    catalog_add.add_argument(
        "--effective", default="now", help="Beijing time, e.g. 2024-02-01T00:00, not in the past (default: now)"
    )
    catalog_add.add_argument("--operator", help="the operator the audit log names (default: the built-in 'cli')")
    catalog_add.set_defaults(run=cmd_catalog_add)

    payment_cmds = sub.add_parser("payments", help="online payments").add_subparsers(dest="action", required=True)
    payment_cmds.add_parser(
        "reconcile", help="list every gateway transaction and what became of it, with totals per outcome"
    ).set_defaults(run=cmd_reconcile)

    sub.add_parser("tick", help="run due jobs: auto-renew, lapsed orders").set_defaults(run=cmd_tick)
    return parser


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = Settings.from_env().check()  # fail early on a bad setting or key, before binding the port
    print(
        f"Partner Support Plan console on http://{args.host}:{args.port}/ (database {settings.database_url})",
        flush=True,
    )
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        # X-Forwarded-Proto/-For are believed only from CONSOLE_TRUSTED_PROXIES (none by default).
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )


def _shown_url(url: str) -> str:
    """A database URL fit to print: the password masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _database_problem(exc: BaseException, url: str) -> str | None:
    """What an error of the database (or of reaching it) means for the operator, or None if it is none."""
    unmigrated = "the database is not set up ({}): run `partner-console migrate` first"
    if isinstance(exc, sqlite3.OperationalError) and str(exc).startswith(("no such table", "no such column")):
        return unmigrated.format(exc)
    if isinstance(exc, UndefinedTableError | UndefinedColumnError):
        return unmigrated.format(exc)
    if isinstance(
        exc,
        OSError
        | TimeoutError
        | InvalidCatalogNameError
        | InvalidAuthorizationSpecificationError
        | PostgresConnectionError
        | PostgresInterfaceError,
    ):
        return f"cannot reach the database {_shown_url(url)}: {exc or type(exc).__name__}"
    if isinstance(exc, sqlite3.Error | PostgresError):
        return f"database error: {exc}"
    return None


def _fail(message: object, code: int = ERROR_EXIT) -> int:
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return code


def _interrupted(*_signal: object) -> None:
    """Says so in one line and exits at once: a database call still running (SQLite waiting for a lock) must
    neither keep the process alive nor print its own traceback. The database rolls back whatever transaction
    was open."""
    _fail("interrupted")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT)


def main(argv: list[str] | None = None) -> int:
    # Piccolo warns on stderr when it cannot read the server's version; the error below says it in one line.
    warnings.filterwarnings("ignore", message=r".*Unable to (connect to database|fetch server version)")
    database_url = os.environ.get("CONSOLE_DATABASE_URL", "")
    try:
        args = build_parser().parse_args(argv)
        if args.command == "serve":
            serve(args)
            return 0
        settings = _settings()
        database_url = settings.database_url
        # Ctrl-C ends a command at once. asyncio.run's own handler would only cancel the command's task and wait
        # for it (and for any worker thread) to wind down, which a command waiting for a lock may not do soon.
        signal.signal(signal.SIGINT, _interrupted)
        asyncio.run(args.run(args, settings))
    except KeyboardInterrupt:  # before the handler above was in place
        _interrupted()
    except BrokenPipeError:  # the reader of our output went away (`… | head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except DomainError as exc:
        return _fail(gettext(exc.message, "en", **exc.params))
    except (CliError, ValueError) as exc:
        return _fail(exc)
    except Exception as exc:
        return _fail(_database_problem(exc, database_url) or f"unexpected {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
