"""The hostile files of issue 17, made on the fly and small on disk.

The XLSX bomb is a real workbook (openpyxl wrote it) whose shared string ``X`` becomes
one cell of ``size`` zeros: a valid zip (sizes and CRC right) of about 1 MB for 1 GB.
Its deflate stream is built without compressing a gigabyte: after a full flush the
compressor forgets its history, so one compressed megabyte can be repeated."""

from __future__ import annotations

import io
import struct
import zlib

MB = 1024 * 1024

#: The YAML of the issue: 9⁹ "lol"s from 488 bytes once aliases are expanded.
BILLION_LAUGHS = """\
code: LOL
title: {vi: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"], en: x}
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
groups: *i
"""


def workbook(rows: list[list], title: str = "Sheet") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_bomb(header: list[str], size: int = 1024 * MB, title: str = "Sheet") -> bytes:
    """A workbook with ``header`` and one row whose first cell is a shared string of
    ``size`` zeros (as Excel writes text: in ``xl/sharedStrings.xml``, which openpyxl
    loads whole when it opens the workbook)."""
    from zipfile import ZipFile

    source = ZipFile(io.BytesIO(workbook([header, ["X"]], title)))
    members = []
    for info in source.infolist():
        data = _shared(info.filename, source.read(info))
        members.append((info.filename, *_deflated(data)))
    members.append(("xl/sharedStrings.xml", *_zeros_deflated(SST[0], SST[1], size)))
    return _zip(members)


SST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>',
    b"</t></si></sst>",
)
_SHARED = {
    "xl/worksheets/sheet1.xml": (
        b'<c r="A2" t="inlineStr"><is><t>X</t></is></c>',
        b'<c r="A2" t="s"><v>0</v></c>',
    ),
    "[Content_Types].xml": (
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ),
    "xl/_rels/workbook.xml.rels": (
        b"</Relationships>",
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    ),
}


def _shared(name: str, data: bytes) -> bytes:
    """The part, pointing the cell ``X`` at shared string 0 and declaring the table."""
    if name not in _SHARED:
        return data
    old, new = _SHARED[name]
    assert old in data, (name, data[-200:])
    return data.replace(old, new)


def zip_of(members: dict[str, bytes]) -> bytes:
    """A zip of ``members`` (deflated), for the pre-check's other refusals."""
    return _zip([(name, *_deflated(data)) for name, data in members.items()])


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def _zeros_deflated(prefix: bytes, suffix: bytes, size: int) -> tuple[bytes, int, int]:
    chunk = b"0" * MB
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.compress(suffix) + c.flush()
    crc = zlib.crc32(prefix)
    for _ in range(size // MB):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(suffix, crc)
    return head + block * (size // MB) + tail, crc, len(prefix) + size // MB * MB + len(suffix)


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A plain (not ZIP64) archive of already-deflated members."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in members:
        offset, raw = out.tell(), name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0)
        out.write(struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fields) + raw + data)
        central.write(
            struct.pack("<4s6HIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + raw
        )
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    n = len(members)
    out.write(struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, n, n, len(directory), start, 0))
    return out.getvalue()
