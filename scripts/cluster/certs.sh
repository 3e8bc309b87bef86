#!/usr/bin/env bash
# certs.sh DIR: creates, once, the control plane's keys and certificates in DIR:
#   ca.{crt,key}         cluster CA: signs the serving cert and the admin client cert
#   apiserver.{crt,key}  serving cert for 127.0.0.1 / localhost / kubernetes.default.svc
#   admin.{crt,key}      client cert CN=ci-remediator-admin, O=system:masters
#   sa.{key,pub}         ServiceAccount token signing key pair
# Existing files are kept, so kubeconfigs and issued tokens stay valid across restarts.
set -euo pipefail
dir=${1:?usage: certs.sh DIR}
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
[[ -f ca.crt && -f apiserver.crt && -f admin.crt && -f sa.key && -f sa.pub ]] && exit 0
command -v openssl >/dev/null || { echo "[cluster] error: openssl is required" >&2; exit 1; }
rm -f ./*.crt ./*.key ./*.pub ./*.csr ./*.srl ./*.ext

days=3650
key() { openssl genrsa -out "$1" 2048 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days "$days" -subj "/CN=ci-remediator-cluster-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.crt

# sign NAME SUBJECT EXTFILE-CONTENT
sign() {
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days "$days" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"

sign admin "/O=system:masters/CN=ci-remediator-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

key sa.key
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
rm -f ca.srl
chmod 600 ./*.key
echo "[cluster] generated certificates in $dir" >&2
