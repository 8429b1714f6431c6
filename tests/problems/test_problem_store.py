"""Format autodetection, limit overrides and the directory problem store."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
from problem_loader_helpers import FISH, MakeKattis, MakeTps, build_aplusb

from ioi_grader.problems import (
    ProblemDataWarning,
    ProblemFormatError,
    detect_format,
    load_problem,
    load_problem_directory,
)


def test_autodetect_both_formats(aplusb: Path, shared_data: Path) -> None:
    assert detect_format(aplusb) == "tps"
    assert detect_format(FISH) == "kattis"
    problem = load_problem(aplusb, time_limit=0.5, memory_limit=64)
    assert problem.id == "aplusb" and problem.time_limit == 0.5 and problem.memory_limit == 64 * 1024**2
    assert load_problem(aplusb).time_limit == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProblemDataWarning)
        fish = load_problem(FISH, time_limit=2)
    assert fish.id == "ioi2022-fish" and fish.time_limit == 2.0


def test_bad_overrides(aplusb: Path) -> None:
    with pytest.raises(ValueError, match="time_limit"):
        load_problem(aplusb, time_limit=-1)
    with pytest.raises(ProblemFormatError, match="memory_limit"):
        load_problem(aplusb, memory_limit=0)


def test_both_markers_is_ambiguous(make_tps: MakeTps) -> None:
    folder = make_tps(files={"problem.yaml": "name: x\n"})
    with pytest.raises(ProblemFormatError, match="both problem.json"):
        load_problem(folder)


def test_directory_store(tmp_path: Path, shared_data: Path, make_kattis: MakeKattis) -> None:
    root = tmp_path / "store"
    build_aplusb(root / "aplusb")
    (root / "fish").symlink_to(FISH.resolve())
    (root / ".git").mkdir()  # hidden folders are not tasks
    (root / "README.md").write_text("not a task\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProblemDataWarning)
        problems = load_problem_directory(root)
    assert list(problems) == ["aplusb", "fish"]  # Kattis id = folder name
    assert problems["aplusb"].max_score == problems["fish"].max_score == 100


def test_directory_store_duplicate_ids(tmp_path: Path, make_tps: MakeTps) -> None:
    root = tmp_path / "store"
    root.mkdir()
    for name in ("one", "two"):
        shutil.move(make_tps(), root / name)  # both say "code": "tiny"
    with pytest.raises(ProblemFormatError, match="duplicate problem id 'tiny'") as info:
        load_problem_directory(root)
    assert info.value.path.name == "two" and "one" in str(info.value)


def test_directory_store_names_the_malformed_folder(tmp_path: Path, shared_data: Path) -> None:
    # The raw shared IOI tasks: aplusb lacks its graders.
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("ioi2022-fish", "ioi2024-aplusb"):
        (raw / name).symlink_to((shared_data / name).resolve())
    with pytest.raises(ProblemFormatError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", ProblemDataWarning)
        load_problem_directory(raw)
    assert "ioi2024-aplusb" in str(info.value) and "graders/grader.cpp" in str(info.value)
    root = tmp_path / "store"
    (root / "notatask").mkdir(parents=True)
    with pytest.raises(ProblemFormatError, match="notatask.*not a task folder"):
        load_problem_directory(root)
    with pytest.raises(ProblemFormatError, match="does not exist"):
        load_problem_directory(tmp_path / "nowhere")


def _zip(entries: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(entries: dict[str, bytes], link: tuple[str, str] | None = None) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            archive.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize("pack", [_zip, _tar], ids=["zip", "tar"])
@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "pkg/../../evil.txt"])
def test_upload_refuses_members_that_escape_the_package(tmp_path: Path, pack, name: str) -> None:
    from ioi_grader.problems.store import ProblemStore

    store = ProblemStore([], upload_dir=tmp_path / "uploads")
    with pytest.raises(ProblemFormatError, match="escapes the package") as error:
        store.add_archive(pack({"pkg/problem.json": b"{}", name: b"x"}), "evil.zip")
    assert error.value.path == Path("evil.zip")
    assert not list(tmp_path.rglob("evil.txt"))


def test_upload_refuses_links_in_tar_archives(tmp_path: Path) -> None:
    from ioi_grader.problems.store import ProblemStore

    store = ProblemStore([], upload_dir=tmp_path / "uploads")
    with pytest.raises(ProblemFormatError, match="not a plain file or folder"):
        store.add_archive(_tar({"pkg/problem.json": b"{}"}, link=("pkg/tests/1.in", "/etc/shadow")), "links.tgz")


def test_upload_refuses_archives_with_too_many_members(tmp_path: Path, monkeypatch) -> None:
    from ioi_grader.problems import store as store_module

    monkeypatch.setattr(store_module, "MAX_ARCHIVE_MEMBERS", 3)
    store = store_module.ProblemStore([], upload_dir=tmp_path / "uploads")
    for pack in (_zip, _tar):
        with pytest.raises(ProblemFormatError, match="too many files"):
            store.add_archive(pack({f"pkg/{i}.txt": b"x" for i in range(4)}), "many")
