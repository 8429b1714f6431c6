"""The sandbox image's build context: the Dockerfile and what runs inside a box (the
supervisor, its cgroup backend, the spawner), plus `wire`, the contract the worker shares."""
