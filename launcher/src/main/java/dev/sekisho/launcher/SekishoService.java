package dev.sekisho.launcher;

import java.nio.file.Path;

/** The five services: where their runnable jar is, their default ports and whether they own a database. */
public enum SekishoService {

    AUTH("auth-service", 8081, null),
    RATELIMIT("ratelimit-service", 8082, null),
    SECRETS("secrets-service", 8083, "sekisho_secrets"),
    AUDIT("audit-service", 8084, "sekisho_audit"),
    ALERT("alert-service", 8085, "sekisho_alert");

    private final String module;
    private final int defaultPort;
    private final String database;

    SekishoService(String module, int defaultPort, String database) {
        this.module = module;
        this.defaultPort = defaultPort;
        this.database = database;
    }

    public String module() {
        return module;
    }

    public int defaultPort() {
        return defaultPort;
    }

    /** The local default of the management interface: the API port plus 1000 (9081 for auth-service, ...). */
    public int defaultManagementPort() {
        return defaultPort + 1000;
    }

    /** The service's own database, or null when it keeps no relational data. */
    public String database() {
        return database;
    }

    public Path runnableJar(Path repoRoot) {
        return repoRoot.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }
}
