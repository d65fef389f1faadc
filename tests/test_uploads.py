import io
import zipfile

import pytest

from replies.ingest import IngestError
from replies.uploads import Limits, expand_paths, expand_upload, sniff

LIMITS = Limits(max_file_bytes=1000, max_zip_files=3, max_zip_total_bytes=2500)


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_sniff_by_content_not_extension():
    assert sniff("<html>答复</html>".encode()) == "text"
    assert sniff(make_zip({"a.txt": b"x"})) == "zip"
    assert sniff(make_zip({"word/document.xml": b"<w/>"})) == "docx"
    with pytest.raises(IngestError, match="PDF"):
        sniff(b"%PDF-1.7 ...")
    with pytest.raises(IngestError, match="binary"):
        sniff(b"\x00\x01\x02\x00" * 100)


def test_zip_members_are_expanded_with_their_archive_name():
    data = make_zip({"a.txt": "一".encode(), "dir/b.html": b"<p>x</p>", "__MACOSX/._a.txt": b"x"})
    items = list(expand_upload("batch.zip", data, LIMITS))
    assert [name for name, _ in items] == ["batch.zip/a.txt", "batch.zip/dir/b.html"]
    assert items[0][1] == "一".encode()


def test_zip_with_path_escaping_the_archive_is_refused_whole():
    data = make_zip({"ok.txt": b"x", "../../etc/passwd": b"x"})
    items = list(expand_upload("evil.zip", data, LIMITS))
    assert len(items) == 1
    name, error = items[0]
    assert name == "evil.zip"
    assert isinstance(error, IngestError)
    assert "escapes" in str(error)


def test_zip_limits_on_count_total_size_and_nesting():
    too_many = make_zip({f"{i}.txt": b"x" for i in range(4)})
    assert "too many" in str(next(iter(expand_upload("m.zip", too_many, LIMITS)))[1])

    too_big = make_zip({"a.txt": b"x" * 900, "b.txt": b"x" * 900, "c.txt": b"x" * 900})
    assert "uncompressed" in str(next(iter(expand_upload("b.zip", too_big, LIMITS)))[1])

    nested = make_zip({"inner.zip": make_zip({"a.txt": b"x"})})
    name, error = next(iter(expand_upload("n.zip", nested, LIMITS)))
    assert name == "n.zip/inner.zip"
    assert "nested" in str(error)


def test_oversized_file_is_refused():
    _name, error = next(iter(expand_upload("big.txt", b"x" * 1001, LIMITS)))
    assert "too large" in str(error)


def test_paths_directories_and_globs(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.html").write_bytes(b"<p>a</p>")
    (tmp_path / "sub" / "b.txt").write_bytes("乙".encode())
    (tmp_path / "notes.json").write_bytes(b"{}")
    names = [name for name, _ in expand_paths([str(tmp_path)], LIMITS)]
    assert names == [str(tmp_path / "a.html"), str(tmp_path / "sub" / "b.txt")]
    globbed = [name for name, _ in expand_paths([str(tmp_path / "**" / "*.txt")], LIMITS)]
    assert globbed == [str(tmp_path / "sub" / "b.txt")]
    missing = list(expand_paths([str(tmp_path / "nope.txt")], LIMITS))
    assert "no such file" in str(missing[0][1])
