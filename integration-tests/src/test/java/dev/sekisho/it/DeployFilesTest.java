package dev.sekisho.it;

import static dev.sekisho.it.ServiceConfiguration.ROOT;
import static dev.sekisho.it.ServiceConfiguration.knownVariables;
import static dev.sekisho.it.ServiceConfiguration.properties;
import static dev.sekisho.it.ServiceConfiguration.requiredSecrets;
import static dev.sekisho.it.ServiceConfiguration.suite;
import static dev.sekisho.it.ServiceConfiguration.variable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.sekisho.launcher.SekishoService;

/**
 * deploy/compose against the code, without Docker: every variable a service is given names a key of its
 * configuration, every secret it refuses to start without is given, from deploy/compose/.env (listed in .env.example,
 * never a value in the file), ports and health paths are the services' own, every image has its Dockerfiles, traces go
 * to Jaeger, and Keycloak gets every placeholder of the realm it imports.
 */
class DeployFilesTest {

    private static final Path COMPOSE = ROOT.resolve("deploy/compose");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Z0-9_]+)(:\\?[^}]*)?}");

    @Test
    void everyServiceIsGivenOnlyKeysOfItsConfigurationAndEverySecretItRequires() throws IOException {
        JsonNode services = compose("docker-compose.yml").path("services");
        for (SekishoService service : SekishoService.values()) {
            JsonNode spec = services.path(service.module());
            assertFalse(spec.isMissingNode(), service.module() + " is not in docker-compose.yml");
            Map<String, String> env = environment(spec);
            // its own variables name keys of its configuration; the shared file's, keys of some service's
            Set<String> unknown = new TreeSet<>();
            spec.path("environment").fieldNames().forEachRemaining(unknown::add);
            unknown.removeAll(knownVariables(service));
            assertEquals(Set.of(), unknown, service.module() + ": variables that name no key of its configuration");
            Set<String> shared = new TreeSet<>(env.keySet());
            spec.path("environment").fieldNames().forEachRemaining(shared::remove);
            shared.removeAll(ServiceConfiguration.knownToAnyService());
            assertEquals(Set.of(), shared, "sekisho.env: variables that name no key of any service's configuration");
            for (String secret : requiredSecrets(service)) {
                String variable = variable(secret);
                assertTrue(env.containsKey(variable), service.module() + " is not given " + variable + " (" + secret + ")");
                assertTrue(INTERPOLATION.matcher(env.get(variable)).find(),
                        service.module() + ": " + variable + " must come from .env, not from the compose file");
            }
            assertFalse(env.containsKey("QUARKUS_PROFILE"), service.module() + " runs the prod profile under compose");
        }
    }

    @Test
    void portsHealthChecksAndDockerfilesAreTheServicesOwn() throws IOException {
        JsonNode services = compose("docker-compose.yml").path("services");
        for (SekishoService service : SekishoService.values()) {
            JsonNode spec = services.path(service.module());
            Properties config = properties(ROOT.resolve(service.module()).resolve("src/main/resources/application.properties"));
            String port = config.getProperty("quarkus.http.port");
            assertEquals(String.valueOf(service.defaultPort()), port, service.module());
            assertEquals(List.of(port + ":" + port), texts(spec.path("ports")), service.module() + " publishes its API port");
            String management = properties(ROOT.resolve("libs/common/src/main/resources/META-INF/microprofile-config.properties"))
                    .getProperty("quarkus.management.port", config.getProperty("quarkus.management.port"));
            assertEquals(List.of("CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:" + management + "/q/health/ready"),
                    texts(spec.path("healthcheck").path("test")), service.module() + " is healthy when ready");

            Path context = COMPOSE.resolve(spec.path("build").path("context").asText()).normalize();
            assertEquals(ROOT.resolve(service.module()).normalize(), context, service.module() + " builds from its module");
            Path dockerfile = context.resolve(spec.path("build").path("dockerfile").asText());
            assertTrue(Files.isRegularFile(dockerfile), dockerfile.toString());
            String nativeFile = Files.readString(dockerfile);
            assertTrue(nativeFile.contains("COPY --chown=quarkus:quarkus target/native-sources"), "links from native-sources: " + dockerfile);
            assertTrue(nativeFile.contains("EXPOSE " + port + " " + management), dockerfile.toString());
            assertTrue(nativeFile.lines().anyMatch(l -> l.matches("USER [1-9][0-9]*")), "runs as a non-root user: " + dockerfile);
            String jvmFile = Files.readString(context.resolve("src/main/docker/Dockerfile.jvm"));
            assertTrue(jvmFile.contains("EXPOSE " + port + " " + management) && jvmFile.lines().anyMatch(l -> l.matches("USER [1-9][0-9]*")),
                    service.module() + "'s Dockerfile.jvm");
            assertEquals("src/main/docker/Dockerfile.jvm", compose("docker-compose.jvm.yml").path("services").path(service.module())
                    .path("build").path("dockerfile").asText(), service.module() + " in the JVM flavour");

            List<String> depends = new ArrayList<>();
            spec.path("depends_on").fieldNames().forEachRemaining(depends::add);
            assertTrue(depends.containsAll(List.of("redis", "keycloak")), service.module() + " waits for Redis and Keycloak");
            if (service.database() != null) {
                assertTrue(depends.contains("postgres"), service.module() + " waits for PostgreSQL");
                assertTrue(environment(spec).get("QUARKUS_DATASOURCE_REACTIVE_URL").endsWith("/" + service.database()), service.module());
            }
            spec.path("depends_on").forEach(d -> assertTrue(Set.of("service_healthy", "service_started").contains(d.path("condition").asText())));
            assertTrue(spec.path("deploy").path("resources").path("limits").path("memory").isTextual(), service.module() + " has a memory limit");
        }
    }

    @Test
    void tracesGoToJaegerAndKeycloakGetsEveryPlaceholderOfItsRealm() throws IOException {
        JsonNode services = compose("docker-compose.yml").path("services");
        assertTrue(services.has("jaeger"), "a Jaeger");
        for (SekishoService service : SekishoService.values()) {
            URI otlp = URI.create(environment(services.path(service.module())).get("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT"));
            assertEquals("jaeger", otlp.getHost(), service.module());
            assertEquals(4317, otlp.getPort(), service.module());
        }
        JsonNode keycloak = services.path("keycloak");
        assertTrue(texts(keycloak.path("command")).contains("--tracing-endpoint=http://jaeger:4317"), "Keycloak traces to Jaeger");
        assertFalse(keycloak.toString().contains("sekisho-dev-users"), "compose imports no demo users");
        Map<String, String> env = environment(keycloak);
        Matcher placeholders = Pattern.compile("\\$\\{([A-Z0-9_]+)}").matcher(Files.readString(ROOT.resolve("deploy/keycloak/sekisho-realm.json")));
        while (placeholders.find()) {
            assertTrue(env.containsKey(placeholders.group(1)), "Keycloak is not given the realm's " + placeholders.group(1));
        }
    }

    @Test
    void everyValueFromTheEnvFileIsListedInTheExampleAndRequired() throws IOException {
        Set<String> example = properties(COMPOSE.resolve(".env.example")).stringPropertyNames();
        Set<String> interpolated = new TreeSet<>();
        for (String file : List.of("docker-compose.yml", "docker-compose.jvm.yml", "docker-compose.monitoring.yml")) {
            Matcher m = INTERPOLATION.matcher(Files.readString(COMPOSE.resolve(file)));
            while (m.find()) {
                interpolated.add(m.group(1));
            }
        }
        assertEquals(new TreeSet<>(example), interpolated, ".env.example lists exactly what the compose files take from .env");
        Matcher m = INTERPOLATION.matcher(Files.readString(COMPOSE.resolve("docker-compose.yml")));
        Set<String> required = new TreeSet<>();
        while (m.find()) {
            if (m.group(2) != null) {
                required.add(m.group(1));
            }
        }
        assertEquals(interpolated, required, "compose refuses to start without any of them");
        assertTrue(Files.readString(ROOT.resolve(".gitignore")).lines().anyMatch("deploy/compose/.env"::equals), ".env is never committed");
    }

    @Test
    void theTlsFileHasTheKeysTheSuitesTlsHas() throws IOException {
        Path certificates = Files.createTempDirectory("sekisho-deploy-tls");
        Map<String, String> env = suite().withTls(certificates).environment(SekishoService.AUTH);
        Properties generated = properties(Path.of(env.get("SMALLRYE_CONFIG_LOCATIONS")));
        Set<String> expected = generated.stringPropertyNames().stream().filter(k -> !k.endsWith(".host")).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, new TreeSet<>(properties(COMPOSE.resolve("config/tls.properties")).stringPropertyNames()),
                "deploy/compose/config/tls.properties and Suite.withTls set the same keys (peer hosts come from sekisho.env)");
        Map<String, String> shared = properties(COMPOSE.resolve("sekisho.env")).entrySet().stream()
                .collect(Collectors.toMap(e -> (String) e.getKey(), e -> (String) e.getValue()));
        for (SekishoService peer : SekishoService.values()) {
            String client = peer == SekishoService.ALERT ? "ALERTS" : peer.name();
            assertEquals(peer.module(), shared.get("QUARKUS_GRPC_CLIENTS_" + client + "_HOST"), "the " + client + " client dials " + peer.module());
        }
    }

    // --- compose files ---

    private static JsonNode compose(String file) throws IOException {
        return YAML.readTree(COMPOSE.resolve(file).toFile());
    }

    /** A service's environment: its env_file entries, then its own. */
    private static Map<String, String> environment(JsonNode spec) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String file : texts(spec.path("env_file"))) {
            properties(COMPOSE.resolve(file)).forEach((k, v) -> env.put((String) k, (String) v));
        }
        spec.path("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        return env;
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

}
