package dev.sekisho.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.servers.PostgresServer;

/** What a service's configuration knows, for checking deployment files (compose, Kubernetes) against the code. */
final class ServiceConfiguration {

    static final Path ROOT = Path.of(System.getProperty("sekisho.root"));

    private ServiceConfiguration() {
    }

    /** Every variable that names a key the service reads: its own files, the shared ones, and what the suite sets. */
    static Set<String> knownVariables(SekishoService service) throws IOException {
        Set<String> keys = new TreeSet<>();
        List<Path> files = new ArrayList<>(List.of(
                ROOT.resolve(service.module()).resolve("src/main/resources/application.properties"),
                ROOT.resolve("libs/common/src/main/resources/META-INF/microprofile-config.properties"),
                ROOT.resolve("deploy/compose/config/tls.properties")));
        Path peers = ROOT.resolve("libs/peers/src/main/resources/META-INF/microprofile-config.properties");
        if (Files.exists(peers)) {
            files.add(peers);
        }
        for (Path file : files) {
            for (String key : properties(file).stringPropertyNames()) {
                keys.add(key.replaceFirst("^%[a-z,]+\\.", ""));
            }
        }
        keys.addAll(requiredSecrets(service));
        // the keys the service's README documents (| `key` | default | `VARIABLE` |)
        Matcher documented = Pattern.compile("`((?:sekisho|quarkus|mp)\\.[a-z0-9.\\-\"]+)`")
                .matcher(Files.readString(ROOT.resolve(service.module()).resolve("README.md")) + Files.readString(ROOT.resolve("docs/configuration.md")));
        while (documented.find()) {
            keys.add(documented.group(1));
        }
        Set<String> variables = keys.stream().map(ServiceConfiguration::variable).collect(Collectors.toCollection(TreeSet::new));
        // what ./sekisho up and the integration suite start every service with (the same names compose uses)
        variables.addAll(suite().environment(service).keySet());
        variables.add("SMALLRYE_CONFIG_LOCATIONS"); // SmallRye Config's own: where the TLS file is
        return variables;
    }

    /** What any service knows: a file every service reads (compose's sekisho.env, the shared ConfigMap) names only these. */
    static synchronized Set<String> knownToAnyService() throws IOException {
        if (anyService == null) {
            Set<String> any = new TreeSet<>();
            for (SekishoService service : SekishoService.values()) {
                any.addAll(knownVariables(service));
            }
            anyService = Set.copyOf(any);
        }
        return anyService;
    }

    /** Read once per test JVM: the same for every service's check. */
    private static Set<String> anyService;

    /** sekisho.security.required-secrets as the service resolves it: its own value, else the suite's default. */
    static List<String> requiredSecrets(SekishoService service) throws IOException {
        String list = properties(ROOT.resolve(service.module()).resolve("src/main/resources/application.properties"))
                .getProperty("sekisho.security.required-secrets", properties(ROOT.resolve(
                        "libs/common/src/main/resources/META-INF/microprofile-config.properties")).getProperty("sekisho.security.required-secrets"));
        return List.of(list.split(","));
    }

    /** The environment variable SmallRye Config maps to a key: upper case, every other character an underscore. */
    static String variable(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    static Properties properties(Path file) {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return properties;
    }

    /** A suite that is never started: only the environment it would give each service is asked for. */
    static Suite suite() throws IOException {
        Path logs = Files.createTempDirectory("sekisho-deploy-suite");
        return new Suite(ROOT, logs, new Suite.Backends(new PostgresServer.Connection("localhost", 1, "postgres", "u", "p"),
                "redis://localhost:1", "http://localhost:1"), Suite.freePorts());
    }
}
