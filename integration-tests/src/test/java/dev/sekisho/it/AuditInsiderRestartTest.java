package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.PostgresServer;
import dev.sekisho.testing.servers.SharedServers;

/**
 * The insider's finding against the running suite: a database superuser cuts the newest records and their checkpoints
 * and audit-service restarts (here: a new instance, which remembers nothing of what the first appended). Verify at the
 * new instance still names the cut, from the checkpoint kept outside PostgreSQL.
 */
class AuditInsiderRestartTest {

    @Test
    void aCutTailIsNamedAfterARestart() throws SQLException {
        Suite suite = RunningSuite.get();
        String auditor = KeycloakTokens.auditor();
        for (int i = 0; i < 3; i++) { // each read of the log is itself a record
            given().auth().oauth2(auditor).get(suite.url(SekishoService.AUDIT) + "/v1/audit/events?limit=1").then().statusCode(200);
        }
        long signedTail = awaitSignedTail();
        long cut = signedTail - 2;
        try (Connection db = connection(); var st = db.createStatement()) {
            st.execute("set session_replication_role = replica");
            st.execute("delete from audit_event where seq >= " + cut);
            st.execute("delete from audit_checkpoint where seq >= " + cut);
        }
        String restarted = suite.startAnother(SekishoService.AUDIT, Ports.free(), Duration.ofSeconds(120));
        given().auth().oauth2(auditor).get(restarted + "/v1/audit/verify?from=" + Math.max(1, cut - 5)).then().statusCode(200)
                .body("valid", equalTo(false)).body("problem.seq", equalTo((int) cut));
    }

    /** The newest record once a checkpoint covers it (the quiet tail is signed within the checkpoint interval). */
    private static long awaitSignedTail() throws SQLException {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            try (Connection db = connection(); var rows = db.createStatement().executeQuery(
                    "select (select max(seq) from audit_event), (select max(seq) from audit_checkpoint)")) {
                rows.next();
                long tail = rows.getLong(1);
                if (tail >= 3 && rows.getLong(2) >= tail) {
                    return tail;
                }
            }
            assertTrue(System.nanoTime() < deadline, "no checkpoint over the tail");
            Ports.sleep(500);
        }
    }

    /** As the database's superuser, the one who can switch the append-only triggers off. */
    private static Connection connection() throws SQLException {
        PostgresServer.Connection db = SharedServers.postgres().withDatabase(SekishoService.AUDIT.database());
        return DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
    }
}
