"""Read one string column of a parquet row group page by page, so memory stays at one page.

Arrow's parquet reader materialises a whole column chunk of a row group before it hands out
the first value; the hub's files hold row groups of up to 100 MB of test data (more in older
uploads), and decoding one costs several times that in memory. This reader walks the column
chunk's pages itself and yields each value as it decodes it.

It covers what parquet writers (Arrow, and so `datasets`) emit for a flat string/binary column:
data pages v1 and v2, PLAIN and dictionary encodings, definition levels for nulls, and every
codec Arrow's `Codec` decompresses. Anything else raises `Unsupported`, and the caller falls back
to Arrow's own reader.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["Unsupported", "iter_string_column"]

# parquet.thrift enums
_DATA_PAGE, _INDEX_PAGE, _DICTIONARY_PAGE, _DATA_PAGE_V2 = 0, 1, 2, 3
_PLAIN, _PLAIN_DICTIONARY, _RLE, _RLE_DICTIONARY = 0, 2, 3, 8
_CODECS = {"UNCOMPRESSED": None, "SNAPPY": "snappy", "GZIP": "gzip", "ZSTD": "zstd", "BROTLI": "brotli",
           "LZ4_RAW": "lz4_raw"}


class Unsupported(Exception):
    """This column chunk uses a layout the page reader does not decode."""


# -- Thrift compact protocol (just enough for PageHeader) ----------------------------------------


class _Thrift:
    def __init__(self, stream: BinaryIO):
        self.stream = stream

    def byte(self) -> int:
        data = self.stream.read(1)
        if not data:
            raise Unsupported("truncated page header")
        return data[0]

    def exactly(self, count: int) -> bytes:
        data = self.stream.read(count)
        if len(data) != count:
            raise Unsupported("truncated page header")
        return data

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise Unsupported("bad varint in page header")

    def zigzag(self) -> int:
        value = self.varint()
        return (value >> 1) ^ -(value & 1)

    def value(self, kind: int) -> Any:
        if kind in (1, 2):
            return kind == 1
        if kind == 3:
            return self.byte()
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            return self.exactly(8)
        if kind == 8:
            return self.exactly(self.varint())
        if kind in (9, 10):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            if element in (1, 2):
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(element) for _ in range(size)]
        if kind == 11:
            size = self.varint()
            if not size:
                return {}
            types = self.byte()
            return {self.value(types >> 4): self.value(types & 0x0F) for _ in range(size)}
        if kind == 12:
            return self.struct()
        raise Unsupported(f"thrift type {kind}")

    def struct(self) -> dict[int, Any]:
        fields: dict[int, Any] = {}
        last = 0
        while True:
            header = self.byte()
            if header == 0:
                return fields
            delta, kind = header >> 4, header & 0x0F
            field = last + delta if delta else self.zigzag()
            fields[field] = self.value(kind)
            last = field


# -- value decoding ------------------------------------------------------------------------------


def _uvarint(data: memoryview, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _rle_hybrid(data: memoryview, bit_width: int, count: int) -> list[int]:
    """The RLE / bit-packing hybrid encoding (levels and dictionary indices)."""
    values: list[int] = []
    pos = 0
    width_bytes = (bit_width + 7) // 8
    mask = (1 << bit_width) - 1
    while len(values) < count:
        if pos >= len(data):
            raise Unsupported("levels end early")
        header, pos = _uvarint(data, pos)
        if header & 1:  # bit-packed: (header >> 1) groups of 8 values
            groups = header >> 1
            nbytes = groups * bit_width
            packed = int.from_bytes(data[pos:pos + nbytes], "little")
            pos += nbytes
            for index in range(groups * 8):
                values.append((packed >> (index * bit_width)) & mask if bit_width else 0)
        else:  # a run of one value
            run = header >> 1
            value = int.from_bytes(data[pos:pos + width_bytes], "little") if width_bytes else 0
            pos += width_bytes
            values.extend([value] * run)
    return values[:count]


def _plain_byte_arrays(data: memoryview, count: int) -> Iterator[memoryview]:
    pos = 0
    for _ in range(count):
        length = int.from_bytes(data[pos:pos + 4], "little")
        pos += 4
        if pos + length > len(data):
            raise Unsupported("value runs past its page")
        yield data[pos:pos + length]
        pos += length


class _Decompressor:
    def __init__(self, compression: str):
        if compression not in _CODECS:
            raise Unsupported(f"codec {compression}")
        import pyarrow as pa

        name = _CODECS[compression]
        self.codec = pa.Codec(name) if name else None

    def __call__(self, data: bytearray | memoryview, size: int) -> memoryview:
        if self.codec is None:
            return memoryview(data)
        return memoryview(self.codec.decompress(data, decompressed_size=size))


def _page_header(raw: BinaryIO, position: int) -> tuple[dict[int, Any], int]:
    """The Thrift PageHeader at `position` and its length in bytes. Headers are small, but may
    carry statistics: read a window and grow it until the header fits."""
    window = 1 << 14
    while True:
        raw.seek(position)
        data = raw.read(window)
        reader = io.BytesIO(data)
        try:
            header = _Thrift(reader).struct()
        except Unsupported:
            if len(data) < window or window >= 1 << 26:
                raise
            window *= 4
            continue
        return header, reader.tell()


def iter_string_column(file: str | Path, row_group: int, column: str) -> Iterator[memoryview | None]:
    """Every value of a flat string/binary column of one row group, in row order (None for
    nulls). Each memoryview is valid until the next value is requested."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(file)
    metadata = parquet.metadata
    index = parquet.schema_arrow.get_field_index(column)
    if index < 0:
        raise KeyError(column)
    described = parquet.schema.column(index)
    if described.max_repetition_level != 0 or described.physical_type != "BYTE_ARRAY":
        raise Unsupported(f"column {column} is not a flat string column")
    max_definition = described.max_definition_level
    chunk = metadata.row_group(row_group).column(index)
    decompress = _Decompressor(chunk.compression)
    start = chunk.dictionary_page_offset if chunk.has_dictionary_page and chunk.dictionary_page_offset else \
        chunk.data_page_offset
    remaining = chunk.num_values
    dictionary: list[memoryview] | None = None
    with open(file, "rb") as raw:
        position = start
        while remaining > 0:
            header, header_size = _page_header(raw, position)
            page_type, size, compressed_size = header.get(1), header.get(2), header.get(3)
            raw.seek(position + header_size)
            payload = bytearray(compressed_size)  # read straight into place: no second copy
            if raw.readinto(payload) != compressed_size:
                raise Unsupported("truncated page")
            position += header_size + compressed_size
            if page_type == _DICTIONARY_PAGE:
                info = header.get(7, {})
                if info.get(2, _PLAIN) not in (_PLAIN, _PLAIN_DICTIONARY):
                    raise Unsupported("dictionary page encoding")
                values = decompress(payload, size)
                del payload
                # Views into the decompressed page, not copies: a dictionary may hold every value.
                dictionary = list(_plain_byte_arrays(values, info.get(1, 0)))
                continue
            if page_type == _INDEX_PAGE:
                continue
            if page_type == _DATA_PAGE:
                info = header.get(5, {})
                count, encoding = info.get(1, 0), info.get(2, _PLAIN)
                data = decompress(payload, size)
                del payload
                pos = 0
                if max_definition:
                    if info.get(3, _RLE) != _RLE:
                        raise Unsupported("definition level encoding")
                    length = int.from_bytes(data[0:4], "little")
                    levels = _rle_hybrid(data[4:4 + length], max_definition.bit_length(), count)
                    pos = 4 + length
                else:
                    levels = None
                values = data[pos:]
            elif page_type == _DATA_PAGE_V2:
                info = header.get(8, {})
                count, encoding = info.get(1, 0), info.get(4, _PLAIN)
                definition_bytes, repetition_bytes = info.get(5, 0), info.get(6, 0)
                compressed = info.get(7, True)
                raw_payload = memoryview(payload)
                levels_end = repetition_bytes + definition_bytes
                levels = _rle_hybrid(raw_payload[repetition_bytes:levels_end], max_definition.bit_length(),
                                     count) if max_definition else None
                body = raw_payload[levels_end:]
                values = decompress(body, size - levels_end) if compressed else body
            else:
                raise Unsupported(f"page type {page_type}")
            present = count if levels is None else sum(1 for level in levels if level == max_definition)
            if encoding == _PLAIN:
                decoded: Iterator[Any] = _plain_byte_arrays(values, present)
            elif encoding in (_PLAIN_DICTIONARY, _RLE_DICTIONARY):
                if dictionary is None:
                    raise Unsupported("dictionary-encoded page without a dictionary")
                width = values[0]
                indices = _rle_hybrid(values[1:], width, present)
                decoded = (dictionary[i] for i in indices)
            else:
                raise Unsupported(f"value encoding {encoding}")
            if levels is None:
                yield from decoded
            else:
                for level in levels:
                    yield next(decoded) if level == max_definition else None
            remaining -= count
