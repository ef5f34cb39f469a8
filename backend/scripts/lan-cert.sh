#!/usr/bin/env bash
# Makes an HTTPS certificate for a kiosk server on the office LAN (phones allow the camera and GPS only on
# HTTPS, except for http://localhost). Creates, once, a small private certificate authority, then a server
# certificate for the names and IP addresses given, signed by it. Install the CA certificate (ca.crt) on
# each phone/tablet once; the server certificate can then be renewed without touching the phones.
#
#   backend/scripts/lan-cert.sh 192.168.1.10 absensi.kantor.lan      # -> ./certs/{ca.crt,server.crt,server.key}
#   CERT_DIR=/etc/absensi-wajah/tls backend/scripts/lan-cert.sh 192.168.1.10
#
# Then set TLS_CERT=<dir>/server.crt TLS_KEY=<dir>/server.key BIND_ADDR=0.0.0.0:8443 and open
# https://192.168.1.10:8443/absen on the phone. Needs openssl (Debian: apt-get install openssl).
# Keep ca.key secret (whoever has it can make certificates the phones trust); it never goes on the server.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,13p' "$0"; exit 2; }
DIR="${CERT_DIR:-certs}"
DAYS="${CERT_DAYS:-825}"     # browsers refuse server certificates valid for longer than ~825 days
mkdir -p "$DIR"
umask 077

if [ ! -f "$DIR/ca.key" ]; then
  openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days 3650 \
    -keyout "$DIR/ca.key" -out "$DIR/ca.crt" -subj "/O=absensi wajah/CN=absensi wajah LAN CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "created the LAN certificate authority: $DIR/ca.crt (install this one on the phones)"
fi

san=""
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then san+="IP:$name,"; else san+="DNS:$name,"; fi
done
san="${san%,}"

openssl req -new -newkey rsa:2048 -nodes -keyout "$DIR/server.key" -out "$DIR/server.csr" \
  -subj "/O=absensi wajah/CN=$1" 2>/dev/null
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
  -out "$DIR/server.crt" -days "$DAYS" -sha256 \
  -extfile <(printf "subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" "$san") 2>/dev/null
rm -f "$DIR/server.csr"
chmod 644 "$DIR/ca.crt" "$DIR/server.crt"

echo "server certificate for $san, valid $DAYS days:"
echo "  TLS_CERT=$DIR/server.crt"
echo "  TLS_KEY=$DIR/server.key"
echo "Install $DIR/ca.crt on each phone once:"
echo "  Android: Settings > Security > Encryption & credentials > Install a certificate > CA certificate"
echo "  iPhone/iPad: open the file (AirDrop/mail), install the profile, then Settings > General > About >"
echo "               Certificate Trust Settings > enable full trust for \"absensi wajah LAN CA\""
