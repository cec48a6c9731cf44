package dev.sekisho.testing.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;

/** A real PostgreSQL server from zonky's binaries: initdb on first use, pg_ctl start/stop. */
public final class PostgresServer {

    public record Connection(String host, int port, String database, String user, String password) {

        public String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        public String reactiveUrl() {
            return "postgresql://" + host + ":" + port + "/" + database;
        }

        public Connection withDatabase(String name) {
            return new Connection(host, port, name, user, password);
        }
    }

    private final Path home = Binaries.postgres();
    private final Path dataDir;
    private final int port;
    private final String user;
    private final String password;
    private final Path log;

    public PostgresServer(Path dataDir, int port, String user, String password, Path log) {
        this.dataDir = dataDir;
        this.port = port;
        this.user = user;
        this.password = password;
        this.log = log;
    }

    /** Initialises the data directory when it is new, then starts the server and waits until it accepts. */
    public Connection start() {
        try {
            if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
                Files.createDirectories(dataDir);
                Path passwordFile = Files.createTempFile("sekisho-pg", ".pw");
                try {
                    Files.writeString(passwordFile, password);
                    ServerProcess.run(ServerProcess.unprivileged(List.of(bin("initdb"), "-D", dataDir.toString(),
                            "-U", user, "--pwfile=" + passwordFile, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C",
                            "--no-instructions")), log, 120);
                } finally {
                    Files.deleteIfExists(passwordFile);
                }
            }
            String options = "-p " + port + " -h 127.0.0.1 -c unix_socket_directories= -c max_connections=200"
                    + " -c fsync=" + (Boolean.getBoolean("sekisho.postgres.fsync") ? "on" : "off");
            ServerProcess.run(ServerProcess.unprivileged(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-o",
                    options, "-l", log.toString(), "-w", "-t", "60", "start")), log, 90);
            return connection("postgres");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start PostgreSQL in " + dataDir, e);
        }
    }

    public Connection connection(String database) {
        return new Connection("127.0.0.1", port, database, user, password);
    }

    /** Creates the database unless it exists. */
    public void createDatabase(String name) {
        createDatabase(connection("postgres"), name);
    }

    /** Creates a database on any server the connection's user may create databases on, unless it exists. */
    public static void createDatabase(Connection server, String name) {
        if (!name.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("database name must be a lower-case identifier: " + name);
        }
        try (var connection = DriverManager.getConnection(server.jdbcUrl(), server.user(), server.password());
                var exists = connection.prepareStatement("select 1 from pg_database where datname = ?")) {
            exists.setString(1, name);
            if (!exists.executeQuery().next()) {
                try (var create = connection.createStatement()) {
                    create.execute("create database " + name);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
    }

    /** The postmaster's process id, or -1 when it is not running. */
    public long pid() {
        try {
            Path pidFile = dataDir.resolve("postmaster.pid");
            return Files.exists(pidFile) ? Long.parseLong(Files.readAllLines(pidFile).get(0).trim()) : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public void stop() {
        if (pid() > 0) {
            ServerProcess.run(ServerProcess.unprivileged(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-m", "fast",
                    "-w", "-t", "30", "stop")), log, 60);
        }
    }

    private String bin(String name) {
        return home.resolve("bin").resolve(name).toString();
    }
}
