# Docker engine (installed and started by scripts/ci/docker.sh with the safe flags), then every
# suite that needs one; APOGEE_REQUIRE_DOCKER=1 turns a missing engine into a failure.
bash scripts/ci/docker.sh
APOGEE_REQUIRE_DOCKER=1 vitest_json docker satellite/src/runtimes/docker-runtime.e2e.spec.ts backend/src/deployments/deployments-docker.e2e.spec.ts
