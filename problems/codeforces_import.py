"""`open-r1/codeforces` as a kind of `ioi-grader problems import`, with the per-contest
generated tests (`test_cases_NNNN.parquet`) of the folder `--tests` names.

The problems are built by `codeforces.codeforces_tasks` (one contest's generated tests in memory
at a time), then go through the shared output folder: staged, validated by loading, committed
atomically, and skipped when the folder already holds the same content. A refused problem
(no tests, or interactive) is counted and listed with its reason, never written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from .codeforces import _NEEDED, codeforces_tasks
from .importing import DatasetImporter, DatasetImportError, ImportOutput, Progress, register, source_is_dataset, \
    write_file_atomic
from .model import ProblemFormatError
from .store import folder_code


@register
class OpenR1CodeforcesImport(DatasetImporter):
    kind = "open-r1/codeforces"
    description = "open-r1/codeforces (a row per problem) with a folder of test_cases_NNNN.parquet"

    def __init__(self, source: str, *, tests: str | None = None, years: Iterable[int] | None = None,
                 split: str | None = None, problem_ids: Iterable[str] | None = None):
        if years:
            raise DatasetImportError("--years applies to open-r1/ioi; open-r1/codeforces problems are chosen by "
                                     "--problem ID (e.g. 2063/A)")
        self.source = source
        self.tests = tests
        self.split = split or "train"
        self.problem_ids = list(problem_ids) if problem_ids else None

    @classmethod
    def recognizes(cls, source: str) -> bool:
        return source_is_dataset(source, _NEEDED, "/codeforces")

    def run(self, out: ImportOutput, progress: Progress) -> dict[str, int]:
        progress.begin(f"{self.source} (tests: {self.tests or 'official only'})")
        try:
            tasks = codeforces_tasks(self.source, self.tests, split=self.split, problem_ids=self.problem_ids)
            for task in tasks:
                name = folder_code(task.problem_id)
                progress.advance(rows=1)
                if task.files is None:
                    progress.outcome(name, "refused", task.reason or "")
                    continue
                # The whole content is in memory already: its digest is the fingerprint.
                digest = hashlib.sha256()
                for relative in sorted(task.files):
                    digest.update(relative.encode() + b"\0" + hashlib.sha256(task.files[relative]).digest())
                fingerprint = f"{self.kind}:{digest.hexdigest()}"
                if out.up_to_date(name, fingerprint):
                    progress.outcome(name, "already imported")
                    continue
                staging = out.staging(name, fingerprint)
                for relative, data in task.files.items():
                    write_file_atomic(staging / relative, data)
                try:
                    outcome, _ = out.commit(name, fingerprint, staging, self.kind)
                except ProblemFormatError as error:
                    out.discard(name)
                    progress.outcome(name, "failed", str(error))
                    continue
                progress.outcome(name, outcome, task.note or "")
        except ProblemFormatError as error:
            raise DatasetImportError(str(error)) from error
        progress.finish_stage()
        return dict(progress.outcomes)
