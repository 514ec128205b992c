"""Piccolo's configuration: the engine comes from CONSOLE_DATABASE_URL (SQLite by default)."""

from piccolo.conf.apps import AppRegistry

from models.db import engine_from_url
from web.settings import Settings

DB = engine_from_url(Settings.from_env().database_url)

APP_REGISTRY = AppRegistry(apps=["models.piccolo_app"])
