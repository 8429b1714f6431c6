# The service image (API and workers), on the same base as the sandbox image.
#
# `pip` installs from deploy/wheels when it holds wheels (scripts/compose fills it from the
# host, for machines whose containers cannot reach PyPI directly) and from PyPI otherwise.
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

COPY deploy/wheels /wheels
COPY pyproject.toml README.md /src/
COPY ioi_grader /src/ioi_grader
COPY problems /src/problems
COPY sandbox /src/sandbox
COPY checkers /src/checkers
COPY languages /src/languages
COPY tasktypes /src/tasktypes
COPY scoretypes /src/scoretypes
COPY grading /src/grading
COPY workers /src/workers
COPY server /src/server
COPY client /src/client
COPY bench /src/bench
RUN python3 -m venv /opt/ioi-grader \
 && offline=$(ls /wheels/*.whl >/dev/null 2>&1 && echo --no-index) \
 && /opt/ioi-grader/bin/pip install --no-cache-dir $offline --find-links /wheels "/src[server,client]" \
 && rm -rf /wheels

ENV PATH=/opt/ioi-grader/bin:$PATH PYTHONUNBUFFERED=1
ENTRYPOINT ["ioi-grader"]
