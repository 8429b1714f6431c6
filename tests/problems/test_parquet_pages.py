"""The page-by-page parquet column reader agrees with Arrow's reader on what writers emit."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ioi_grader.problems.parquet_pages import Unsupported, iter_string_column


def values(seed: int) -> list[str | None]:
    rng = random.Random(seed)
    found: list[str | None] = []
    for _ in range(600):
        roll = rng.random()
        if roll < 0.1:
            found.append(None)
        elif roll < 0.2:
            found.append("")
        elif roll < 0.5:
            found.append(rng.choice(["a", "bb", "ccc"]))  # repeats: dictionary pages matter
        else:
            found.append("".join(rng.choices("xyz01 \n", k=rng.randint(1, 2000))))
    found += ["".join(rng.choices("0123456789\n", k=300_000)) for _ in range(2)]  # values larger than a page
    return found


@pytest.mark.parametrize("compression", ["snappy", "zstd", "gzip", "none", "brotli"])
@pytest.mark.parametrize("dictionary", [True, False])
@pytest.mark.parametrize("page_version", ["1.0", "2.0"])
def test_every_value_matches_arrow(tmp_path, compression, dictionary, page_version):
    data = values(hash((compression, dictionary, page_version)) & 0xFFFF)
    table = pa.table({
        "text": pa.array(data, pa.string()),
        "blob": pa.array([v.encode() if v is not None else None for v in data], pa.binary()),
        "required": pa.array([v or "" for v in data], pa.string()),
    }).cast(pa.schema([pa.field("text", pa.string()), pa.field("blob", pa.binary()),
                       pa.field("required", pa.string(), nullable=False)]))
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, compression=compression, use_dictionary=dictionary, data_page_version=page_version,
                   row_group_size=250, data_page_size=1 << 14)
    parquet = pq.ParquetFile(path)
    for group in range(parquet.metadata.num_row_groups):
        for column in ("text", "blob", "required"):
            want = parquet.read_row_group(group, columns=[column]).column(0).to_pylist()
            want = [v.encode() if isinstance(v, str) else v for v in want]
            got = [None if v is None else bytes(v) for v in iter_string_column(path, group, column)]
            assert got == want, (group, column)


def test_what_it_cannot_decode_is_refused_not_misread(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"n": [1, 2, 3], "s": ["a", "b", "c"]}), path, compression="lz4")
    with pytest.raises(Unsupported):
        list(iter_string_column(path, 0, "n"))  # not a string column
    with pytest.raises(Unsupported):
        list(iter_string_column(path, 0, "s"))  # Hadoop-framed LZ4
