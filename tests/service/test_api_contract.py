"""The API's contract for bad input, keys and back-pressure. The app runs in-process against
the real Redis, on a database of its own that no worker consumes, so queued jobs stay put."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest
from fastapi.testclient import TestClient
from redis import Redis

from ioi_grader.problems.store import ProblemStore
from ioi_grader.server.app import create_app
from ioi_grader.server.config import ServiceConfig
from paths import EXAMPLES

pytestmark = pytest.mark.redis

USER, ADMIN = "user-key-123", "admin-key-456"


def make_client(redis_server, tmp_path, **overrides) -> TestClient:
    Redis(unix_socket_path=str(redis_server.socket), db=7).flushdb()  # db 0 is the live service's
    config = ServiceConfig(redis_url=f"{redis_server.url}?db=7", problem_dirs=[EXAMPLES],
                           upload_dir=tmp_path / "uploads", **overrides)
    config_store = ProblemStore(config.problem_dirs, config.upload_dir)
    return TestClient(create_app(config, config_store), raise_server_exceptions=False)


@pytest.fixture
def api(redis_server, tmp_path):
    with make_client(redis_server, tmp_path) as client:
        yield client


@pytest.fixture
def keyed_api(redis_server, tmp_path):
    with make_client(redis_server, tmp_path, api_keys=frozenset({USER}), admin_keys=frozenset({ADMIN})) as client:
        yield client


def error_of(response) -> str:
    return response.json()["error"]


@pytest.mark.parametrize("body, field", [
    ({"language": "cpp", "code": "x"}, "problem_id"),
    ({"problem_id": "aplusb", "language": "rust", "code": "x"}, "language"),
    ({"problem_id": "aplusb", "code": 5}, "code"),
    ({"problem_id": "aplusb", "code": "x", "options": {"time_limit": -1}}, "options.time_limit"),
    ({"problem_id": "aplusb", "code": "x", "options": {"memory_limit": 1}}, "options.memory_limit"),
    ({"problem_id": "aplusb", "code": "x", "surprise": 1}, "surprise"),
    ({"problem_id": "aplusb", "code": "x" * (600 * 1024)}, "code"),
])
def test_invalid_submission_names_the_field(api, body, field):
    response = api.post("/v1/submissions", json=body)
    assert response.status_code == 422
    assert field in error_of(response)
    assert any(d["field"] == field for d in response.json()["detail"])


def test_semantic_errors_are_4xx_with_the_field(api):
    response = api.post("/v1/submissions", json={"problem_id": "nope", "code": "x"})
    assert response.status_code == 404 and "problem_id" in error_of(response)
    response = api.post("/v1/submissions", json={"problem_id": "aplusb", "language": "python", "code": "x"})
    assert response.status_code == 422 and error_of(response).startswith("language:")
    response = api.post("/v1/submissions", json={"problem_id": "aplusb", "code": "x",
                                                 "options": {"subtasks": ["no-such-subtask"]}})
    assert response.status_code == 422 and "options.subtasks" in error_of(response)
    response = api.post("/v1/reward", json={"items": [{"problem_id": "aplusb", "subtask": 9, "completion": "x"}]})
    assert response.status_code == 422 and "items.0.subtask" in error_of(response)
    response = api.post("/v1/reward", json={"items": [{"subtask": 1, "completion": "x"}]})
    assert response.status_code == 422 and "items.0" in error_of(response)
    assert api.get("/v1/submissions/doesnotexist").status_code == 404
    assert api.get("/v1/problems/doesnotexist").status_code == 404


def test_malformed_json_is_a_422_not_a_500(api):
    response = api.post("/v1/submissions", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_oversized_body_is_413(api):
    response = api.post("/v1/reward", content=b"x" * (33 << 20), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "too large" in error_of(response)


def test_accepted_submission_is_queued_and_visible(api):
    response = api.post("/v1/submissions", json={"problem_id": "aplusb", "code": "int sum(int a,int b){return a+b;}"})
    assert response.status_code == 202
    view = api.get(f"/v1/submissions/{response.json()['id']}").json()
    assert view["state"] == "queued" and view["problem_id"] == "aplusb" and view["result"] is None


def test_full_queue_is_503_with_retry_after(redis_server, tmp_path):
    with make_client(redis_server, tmp_path, max_queue=3) as api:
        codes = [api.post("/v1/submissions", json={"problem_id": "aplusb", "code": "x"}).status_code for _ in range(5)]
        assert codes[:3] == [202, 202, 202] and codes[3:] == [503, 503]
        busy = api.post("/v1/submissions", json={"problem_id": "aplusb", "code": "x"})
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) >= 1
        assert "queue" in error_of(busy)


def test_keys_are_required_when_configured(keyed_api):
    assert keyed_api.get("/v1/problems").status_code == 401
    assert keyed_api.get("/v1/problems", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert keyed_api.get("/v1/problems", headers={"Authorization": f"Bearer {USER}"}).status_code == 200
    assert keyed_api.get("/v1/problems", headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
    response = keyed_api.get("/v1/problems", headers={"Authorization": "Basic xyz"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_tests_and_checker_only_for_admins(keyed_api):
    user = keyed_api.get("/v1/problems/aplusb", headers={"Authorization": f"Bearer {USER}"}).json()
    admin = keyed_api.get("/v1/problems/aplusb", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert user["tests"] is None and user["checker"] is None
    assert admin["checker"] == "cms" and len(admin["tests"]) == 17


def _package(folder, kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w") as archive:
            for path in folder.rglob("*"):
                if path.is_file():
                    archive.write(path, f"pkg/{path.relative_to(folder)}")
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(folder, arcname=".")
    return buffer.getvalue()


def test_upload_needs_an_admin_key_and_a_valid_package(keyed_api, tmp_path):
    import shutil

    folder = tmp_path / "src"
    shutil.copytree(EXAMPLES / "aplusb", folder)
    data = (folder / "problem.json").read_text().replace('"code": "aplusb"', '"code": "aplusb2"')
    (folder / "problem.json").write_text(data)
    archive = _package(folder, "zip")
    headers = {"content-type": "application/zip"}
    assert keyed_api.post("/v1/problems", content=archive, headers=headers).status_code == 401
    user = keyed_api.post("/v1/problems", content=archive, headers={**headers, "Authorization": f"Bearer {USER}"})
    assert user.status_code == 403
    admin = {**headers, "Authorization": f"Bearer {ADMIN}"}
    created = keyed_api.post("/v1/problems", content=archive, headers=admin)
    assert created.status_code == 201 and created.json()["id"] == "aplusb2"
    assert keyed_api.post("/v1/problems", content=archive, headers=admin).status_code == 409
    listed = keyed_api.get("/v1/problems", headers={"Authorization": f"Bearer {USER}"}).json()
    assert "aplusb2" in {p["id"] for p in listed}
    # Malformed packages are refused with the loader's message naming the file and field.
    (folder / "problem.json").write_text(data.replace('"time_limit": 1.0', '"time_limit": "fast"').replace("aplusb2", "bad"))
    refused = keyed_api.post("/v1/problems", content=_package(folder, "tgz"), headers=admin)
    assert refused.status_code == 422 and "problem.json" in error_of(refused) and "time_limit" in error_of(refused)
    garbage = keyed_api.post("/v1/problems", content=b"not an archive", headers=admin)
    assert garbage.status_code == 422


@pytest.mark.parametrize("code", ['"int main(){}\\u0000"', '"int x; // \\ud83f"'])
def test_unencodable_or_nul_source_is_a_422_naming_code(api, code):
    body = '{"problem_id": "aplusb", "code": ' + code + "}"
    response = api.post("/v1/submissions", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 422 and "code" in error_of(response)


def test_reward_completion_with_lone_surrogates_is_kept_and_not_a_500(api):
    body = '{"items": [{"problem_id": "aplusb", "completion": "no code \\udced here"}], "timeout": 5}'
    response = api.post("/v1/reward", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["details"][0]["status"] == "no_code"
