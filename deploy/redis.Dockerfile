# Redis from Debian, on the same base as the other images.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
USER redis
EXPOSE 6379
# Append-only with fsync on every write: an accepted submission survives a Redis crash.
CMD ["redis-server", "--dir", "/data", "--appendonly", "yes", "--appendfsync", "always", "--save", "", \
     "--bind", "0.0.0.0", "--protected-mode", "no"]
