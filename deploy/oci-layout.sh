#!/usr/bin/env bash
# Writes a small OCI image layout without any network, for trying pushes offline:
#   bash deploy/oci-layout.sh <dir> [tag]     then  skopeo copy oci:<dir>:<tag> docker://…
# One layer holding /hello.txt with the current time, so each run makes a new digest.
set -euo pipefail
dir=${1:?usage: oci-layout.sh <dir> [tag]}
tag=${2:-v1}
mkdir -p "$dir/blobs/sha256"
cd "$dir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Moves a file into blobs/ under its digest; prints "<hex digest> <size>".
blob() {
  local hex
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "blobs/sha256/$hex"
  echo "$hex $(stat -c%s "blobs/sha256/$hex")"
}

echo '{"imageLayoutVersion":"1.0.0"}' > oci-layout
echo "hello $(date -u +%FT%T.%N)" > "$work/hello.txt"
tar -C "$work" -cf "$work/layer.tar" hello.txt
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n "$work/layer.tar"
read -r layer layer_size < <(blob "$work/layer.tar.gz")

printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["cat","/hello.txt"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$diff_id" > "$work/config.json"
read -r config config_size < <(blob "$work/config.json")

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
read -r manifest manifest_size < <(blob "$work/manifest.json")

printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$tag" > index.json
echo "sha256:$manifest"
