"""The recorder's open hourly file (I/O): ``backtest.recfile.Writer`` on the file ``core.Files`` names."""

from __future__ import annotations

from typing import IO

from actors.recorder.core import Files
from backtest import recfile


class Sink:
    """The open hourly file: opened (appended to) when the hour changes, every current market's metadata
    first; a zstandard frame ends at every ``flush``."""

    def __init__(self, files: Files, source: str) -> None:
        self.files, self.source = files, source
        self.file: IO[bytes] | None = None
        self.writer: recfile.Writer | None = None

    def at(self, ts: int) -> recfile.Writer:
        path = self.files.path_for(ts)
        if path is not None or self.writer is None:
            self.close()
            self.file, self.writer = recfile.open_writer(path or recfile.hour_path(self.files.root, ts),
                                                         self.source, ts)
            for meta in self.files.metas.values():
                self.writer.meta(ts, meta)
        return self.writer

    def meta(self, ts: int, meta: recfile.Meta) -> None:
        self.files.metas[meta.market] = meta
        self.at(ts).meta(ts, meta)

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None and self.file is not None:
            self.writer.close()
            self.file.close()
        self.writer = self.file = None
