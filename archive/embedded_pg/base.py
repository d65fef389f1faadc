from __future__ import annotations

from pathlib import Path

from django.db.backends.postgresql import base as postgresql

from .server import ensure_server


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def get_connection_params(self):
        # Started here rather than in settings so that commands without a connection stay fast
        # and work even where the server could not start.
        host, port = ensure_server(Path(self.settings_dict["OPTIONS_DATA_DIR"]))
        self.settings_dict["HOST"] = host
        self.settings_dict["PORT"] = port
        return super().get_connection_params()
