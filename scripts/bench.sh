# Sourced by scripts/bench-*.sh: builds the integration-tests module with what it needs and runs one benchmark
# class with the test classpath, the repository root and the unpacked Keycloak.
# Usage: sekisho_bench CLASS [JVM options...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/jdk.sh
sekisho_use_jdk

sekisho_bench() {
  local main=$1
  shift
  local classpath="$PWD/integration-tests/target/bench.classpath"
  ./mvnw -B -q -ntp -pl integration-tests -am package dependency:build-classpath -DskipTests \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath"
  local keycloak
  keycloak=$(ls -d "$PWD"/target/keycloak/keycloak-*/ 2>/dev/null | sort -V | tail -1)
  exec "$JAVA_HOME/bin/java" -Dsekisho.root="$PWD" -Dsekisho.keycloak.home="${keycloak%/}" "$@" \
    -cp "integration-tests/target/test-classes:$(cat "$classpath")" "dev.sekisho.it.bench.$main"
}
