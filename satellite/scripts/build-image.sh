#!/usr/bin/env bash
# Builds the model-server image without any registry: a root filesystem holding only the node
# binary and the shared libraries it and the native addons link against (found with ldd),
# satellite/dist, and the run-time closure of onnxruntime-node and node-llama-cpp from
# node_modules, then `docker import`.
#
# Environment:
#   APOGEE_MODEL_SERVER_IMAGE    tag to build                       (default apogee/model-server:dev)
#   APOGEE_IMAGE_LLAMA_BINARIES  @node-llama-cpp/* prebuilt packages to ship, space-separated
#                                (default "linux-x64"; add linux-x64-cuda for a CUDA image)
#   APOGEE_IMAGE_SKIP_BUILD=1    use satellite/dist as it is
#   APOGEE_IMAGE_TARBALL=FILE    also keep the rootfs tarball at FILE
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tag="${APOGEE_MODEL_SERVER_IMAGE:-apogee/model-server:dev}"
llama_binaries="${APOGEE_IMAGE_LLAMA_BINARIES:-linux-x64}"
started=$(date +%s%N)
log() { echo "[build-image] $*" >&2; }

command -v docker >/dev/null || { log "docker CLI not found (scripts/ci/docker.sh installs it)"; exit 1; }
[ "$(uname -m)" = "x86_64" ] || log "warning: only x86_64 has been tried"

cd "$repo"
if [ "${APOGEE_IMAGE_SKIP_BUILD:-0}" != "1" ]; then
  log "building satellite"
  npm run build -w satellite --silent
fi
[ -f satellite/dist/model-server/main.js ] || { log "satellite/dist/model-server/main.js missing"; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
rootfs="$stage/rootfs"
mkdir -p "$rootfs/app/satellite" "$rootfs/usr/local/bin" "$rootfs/tmp" "$rootfs/etc"
chmod 1777 "$rootfs/tmp"

node_bin="$(readlink -f "$(command -v node)")"
cp "$node_bin" "$rootfs/usr/local/bin/node"
cp -r satellite/dist satellite/package.json "$rootfs/app/satellite/"
printf 'root:x:0:0:root:/tmp:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

# Run-time packages, minus other platforms' prebuilt binaries and llama.cpp's source bundle.
deps="$stage/deps.txt"
node satellite/scripts/image-deps.mjs "$repo" | while read -r dir; do
  case "$dir" in
    */@node-llama-cpp/*)
      variant="${dir##*/@node-llama-cpp/}"
      [[ " $llama_binaries " == *" $variant "* ]] || continue ;;
  esac
  echo "$dir"
done >"$deps"
log "copying $(wc -l <"$deps") packages"
tar -C "$repo" -cf - \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/win32' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v*/linux/arm64' \
  --exclude='node_modules/node-llama-cpp/llama/gitRelease.bundle' \
  --exclude='*.md' --exclude='*.map' --exclude='*.d.ts' \
  -T "$deps" | tar -C "$rootfs/app" -xf -

# Shared libraries of node and of every native addon, and the dynamic loader.
libs="$stage/libs.txt"
{
  echo "$node_bin"
  find "$rootfs/app" -type f \( -name '*.node' -o -name '*.so' -o -name '*.so.*' \)
} | while read -r elf; do
  ldd "$elf" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done | sort -u >"$libs"
while read -r lib; do
  # Addons' own libraries (under /app) are already there.
  case "$lib" in "$rootfs"/*) continue ;; esac
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done <"$libs"
log "copied $(wc -l <"$libs") shared libraries"

tarball="$stage/rootfs.tar"
tar -C "$rootfs" -cf "$tarball" .
log "rootfs: $(du -h "$tarball" | cut -f1)"
[ -n "${APOGEE_IMAGE_TARBALL:-}" ] && cp "$tarball" "$APOGEE_IMAGE_TARBALL"

docker import \
  --change 'ENTRYPOINT ["/usr/local/bin/node", "/app/satellite/dist/model-server/main.js"]' \
  --change 'WORKDIR /app' \
  --change 'ENV HOME=/tmp NODE_ENV=production LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu' \
  --change 'LABEL org.opencontainers.image.title=apogee-model-server' \
  --message "apogee model server ($(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo dev))" \
  "$tarball" "$tag" >/dev/null

elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
log "built $tag in ${elapsed_ms} ms"
echo "$tag"
