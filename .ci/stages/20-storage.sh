# Real object stores: Ceph radosgw (Debian packages) for S3 and Azurite (npm) for Azure. The same
# contract suite runs against local, S3 and Azure; APOGEE_REQUIRE_STORAGE=1 makes a missing server fail.
bash scripts/ci/s3-server.sh start
APOGEE_REQUIRE_STORAGE=1 APOGEE_LARGE_TRANSFER_TESTS=1 vitest_json storage backend/src/storage backend/src/models/models.e2e.spec.ts
bash scripts/ci/s3-server.sh stop
