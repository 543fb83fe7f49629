#!/bin/sh
# The manifests of an overlay with the image set by digest, on standard output:
#   sh deploy/k8s/render.sh staging REPOSITORY@sha256:DIGEST | kubectl apply -f -
# A tag is refused: prod must run the very image staging ran, and only a digest names one.
set -eu
if [ "$#" -ne 2 ]; then
  echo "usage: $0 staging|prod REPOSITORY@sha256:DIGEST" >&2
  exit 2
fi
env=$1
ref=$2
case "$env" in
  staging|prod) ;;
  *) echo "error: unknown environment '$env': staging or prod" >&2; exit 2 ;;
esac
if ! printf '%s\n' "$ref" | grep -Eq '^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$'; then
  echo "error: '$ref' is not an image digest (REPOSITORY@sha256:<64 hex>): deploy by digest, never by tag" >&2
  exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A kustomization of its own, in a temporary folder: the committed overlay stays as it is.
cp -R "$here/base" "$here/components" "$here/overlays" "$work/"
cat > "$work/kustomization.yaml" <<KUSTOMIZATION
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - overlays/$env
images:
  - name: app
    newName: ${ref%@*}
    digest: ${ref#*@}
KUSTOMIZATION
kubectl kustomize "$work"
