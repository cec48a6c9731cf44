package dev.sekisho.testing.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedServersTest {

    @Test
    void postgresAnswersSqlInTheSekishoDatabase() throws Exception {
        PostgresServer.Connection db = SharedServers.postgres();
        try (var connection = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
                var result = connection.createStatement().executeQuery("select current_database(), version()")) {
            assertTrue(result.next());
            assertEquals("sekisho", result.getString(1));
            assertTrue(result.getString(2).startsWith("PostgreSQL 18"), result.getString(2));
        }
    }

    @Test
    void postgresIsSharedNotRestarted() {
        assertEquals(SharedServers.postgres(), SharedServers.postgres());
    }

    @Test
    void redisRoundTrip() throws Exception {
        String url = SharedServers.redis();
        assertEquals("+OK", Resp.call(url, "SET", "sekisho:probe", "関所"));
        assertEquals("関所", Resp.call(url, "GET", "sekisho:probe"));
        assertEquals(url, SharedServers.redis());
    }

    @Test
    void redisComesBackOnTheSamePortAfterAStop(@TempDir Path dir) throws Exception {
        RedisServer server = new RedisServer(Ports.free(), dir, dir.resolve("redis.log"), List.of());
        try {
            String url = server.start();
            assertEquals("+PONG", Resp.call(url, "PING"));
            server.stop();
            assertFalse(Ports.isListening("127.0.0.1", server.port()));
            server.start();
            assertEquals("+PONG", Resp.call(url, "PING"));
        } finally {
            server.stop();
        }
        assertTrue(Files.exists(dir.resolve("redis.log")));
    }
}
