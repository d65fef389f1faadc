"""Turn what a user hands over (paths, globs, directories, uploaded files, ZIP archives) into
(filename, bytes) pairs for the ingest service, refusing what must not be read.

Types are decided by content, not only by the extension: a `.html` that is really a ZIP, or
an executable renamed `.txt`, is refused with its reason.
"""

from __future__ import annotations

import glob
import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from .ingest import IngestError

DOCUMENT_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".txt", ".text", ".docx"}
ARCHIVE_SUFFIXES = {".zip"}

# Signatures of binary formats that are never reply documents.
_BINARY_MAGIC = (
    (b"%PDF", "PDF"),
    (b"\x7fELF", "executable"),
    (b"MZ", "executable"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\xd0\xcf\x11\xe0", "old Word/Excel (.doc/.xls) — save it as .docx"),
    (b"Rar!", "RAR archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf", "7z archive"),
)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_zip_files: int
    max_zip_total_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_file_bytes=settings.UPLOAD_MAX_BYTES,
            max_zip_files=settings.ARCHIVE_ZIP_MAX_FILES,
            max_zip_total_bytes=settings.ARCHIVE_ZIP_MAX_TOTAL_BYTES,
        )


def sniff(data: bytes) -> str:
    """`zip`, `docx` or `text` (HTML and plain text); raises IngestError for other binaries."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as exc:
            raise IngestError("损坏的 ZIP/DOCX 文件 (corrupt ZIP or DOCX)") from exc
        return "docx" if "word/document.xml" in names else "zip"
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise IngestError(f"不支持的文件类型：{what} (unsupported file type)")
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 10 and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError("二进制文件，不是网页、文本或 Word 文档 (binary file)")
    return "text"


def expand_upload(
    filename: str, data: bytes, limits: Limits | None = None
) -> Iterator[tuple[str, bytes | IngestError]]:
    """One uploaded file → the documents in it. A ZIP yields its members (one level deep)."""
    limits = limits or Limits.from_settings()
    if len(data) > limits.max_file_bytes and not filename.lower().endswith(".zip"):
        yield filename, IngestError(_too_large(len(data), limits.max_file_bytes))
        return
    try:
        kind = sniff(data)
    except IngestError as exc:
        yield filename, exc
        return
    if kind != "zip":
        yield filename, data
        return
    try:
        members = list(_zip_members(filename, data, limits))
    except IngestError as exc:
        yield filename, exc
        return
    yield from members


def _zip_members(
    filename: str, data: bytes, limits: Limits
) -> Iterator[tuple[str, bytes | IngestError]]:
    """Check the whole archive before yielding anything: a hostile ZIP is refused entirely."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        infos = [info for info in infos if not _is_noise(info.filename)]
        if len(infos) > limits.max_zip_files:
            raise IngestError(
                f"ZIP 内文件过多：{len(infos)} 个，上限 {limits.max_zip_files} (too many files)"
            )
        total = sum(info.file_size for info in infos)
        if total > limits.max_zip_total_bytes:
            raise IngestError(
                f"ZIP 解压后过大：{total / 1_048_576:.0f} MB (uncompressed size over the limit)"
            )
        for info in infos:
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts or info.filename.startswith("/"):
                raise IngestError(
                    f"ZIP 中的路径越出压缩包：{info.filename} (path escapes the archive)"
                )
        results: list[tuple[str, bytes | IngestError]] = []
        for info in infos:
            name = f"{filename}/{info.filename}"
            if info.file_size > limits.max_file_bytes:
                results.append(
                    (name, IngestError(_too_large(info.file_size, limits.max_file_bytes)))
                )
                continue
            # Read at most the declared size + 1: a lying header cannot inflate past the limit.
            with archive.open(info) as member:
                content = member.read(limits.max_file_bytes + 1)
            if len(content) > limits.max_file_bytes:
                results.append((name, IngestError(_too_large(len(content), limits.max_file_bytes))))
                continue
            try:
                kind = sniff(content)
            except IngestError as exc:
                results.append((name, exc))
                continue
            if kind == "zip":
                results.append((name, IngestError("不支持嵌套的 ZIP (nested ZIP archives)")))
                continue
            results.append((name, content))
    yield from results


def _is_noise(name: str) -> bool:
    """Files archivers add by themselves (macOS resource forks, Windows thumbnails)."""
    base = name.rsplit("/", 1)[-1]
    return name.startswith("__MACOSX/") or base in {".DS_Store", "Thumbs.db", "desktop.ini"}


def _too_large(size: int, limit: int) -> str:
    return f"文件过大：{size / 1_048_576:.1f} MB，上限 {limit / 1_048_576:.0f} MB (file too large)"


def expand_paths(
    arguments: Iterable[str], limits: Limits | None = None
) -> Iterator[tuple[str, bytes | IngestError]]:
    """Command-line arguments → documents: files, directories (recursively: documents and
    ZIPs by extension), glob patterns, and ZIP archives."""
    limits = limits or Limits.from_settings()
    for argument in arguments:
        matches = sorted(glob.glob(argument, recursive=True)) if glob.has_magic(argument) else []
        paths = [Path(m) for m in matches] or [Path(argument)]
        for path in paths:
            if path.is_dir():
                for child in sorted(_walk(path)):
                    yield from _read(child, limits)
            else:
                yield from _read(path, limits)


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            path = Path(root) / name
            if path.suffix.lower() in DOCUMENT_SUFFIXES | ARCHIVE_SUFFIXES:
                yield path


def _read(path: Path, limits: Limits) -> Iterator[tuple[str, bytes | IngestError]]:
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max(limits.max_file_bytes, limits.max_zip_total_bytes):
            yield name, IngestError(_too_large(size, limits.max_file_bytes))
            return
        data = path.read_bytes()
    except FileNotFoundError:
        yield name, IngestError("文件不存在 (no such file)")
        return
    except OSError as exc:
        yield name, IngestError(f"无法读取 (cannot read): {exc.strerror or exc}")
        return
    yield from expand_upload(name, data, limits)
