#!/usr/bin/env bash
# Makes sure a MariaDB answers at 127.0.0.1:3306 as root with an empty password (the seed's database),
# starting or installing it when needed, then drops databases left over by earlier test runs.
set -euo pipefail
ping_db() { mariadb -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1 || mysql -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1; }
sql() { if command -v mariadb >/dev/null; then mariadb -h127.0.0.1 -uroot -N -e "$1"; else mysql -h127.0.0.1 -uroot -N -e "$1"; fi; }

if ! ping_db; then
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    echo "MariaDB not installed: installing mariadb-server (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q mariadb-server >/dev/null
  fi
  echo "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  for _ in $(seq 1 60); do ping_db && break; sleep 1; done
  if ! ping_db; then
    # A fresh install may only allow root through the unix socket: allow the seed's root@localhost over TCP.
    mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;" 2>/dev/null || true
  fi
  ping_db || { echo "MariaDB is not reachable at 127.0.0.1:3306 as root" >&2; exit 1; }
fi

# Each test creates its own absensi_t_<uuid> database; clear those left by earlier runs. Only databases
# whose newest table is over two hours old: another `make test` (or CI) running at the same time on this
# server keeps its own. A database without tables yet may be one being migrated this second: kept.
for db in $(sql "SELECT TABLE_SCHEMA FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE 'absensi\\_t\\_%'
                 GROUP BY TABLE_SCHEMA HAVING MAX(CREATE_TIME) < NOW() - INTERVAL 2 HOUR"); do
  sql "DROP DATABASE \`$db\`"
done
echo "MariaDB ready at 127.0.0.1:3306"
