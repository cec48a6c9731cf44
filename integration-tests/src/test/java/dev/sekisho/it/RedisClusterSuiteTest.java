package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.fixtures.Totp;
import dev.sekisho.testing.servers.Ports;
import dev.sekisho.testing.servers.RedisCluster;
import dev.sekisho.testing.servers.SharedServers;
import dev.sekisho.testing.servers.TempDirs;
import io.restassured.http.ContentType;

/**
 * The whole suite on a Redis Cluster (three masters), as deploy/kubernetes runs it: every service's Redis work (the
 * login budget and its counters, the revocation list, the outboxes' streams, the audit witness, alert-service's
 * correlation windows, blocks) works when its keys are spread over slots and nodes. A second suite of the five services
 * on the shared PostgreSQL (databases of its own) and Keycloak with the cluster as its only Redis: it becomes ready, an MFA login is budgeted
 * and audited, a logout is honoured by another service, refused logins fire the brute-force alert and spraying blocks
 * the address at the gateway.
 */
class RedisClusterSuiteTest {

    private static RedisCluster cluster;
    private static Suite suite;

    @BeforeAll
    static void startTheSuiteOnACluster() throws Exception {
        Path logs = Files.createDirectories(Path.of("target", "suite-logs-cluster"));
        cluster = new RedisCluster(TempDirs.create("redis-cluster-suite"), logs);
        String hosts = cluster.start();
        suite = RunningSuite.onALoadedMachine(new Suite(Path.of(System.getProperty("sekisho.root")), logs,
                new Suite.Backends(SharedServers.postgres(), hosts, SharedServers.keycloak()), Suite.freePorts()))
                .withOwnDatabases("_cluster")
                .withEnvironment("QUARKUS_REDIS_CLIENT_TYPE", "cluster")
                .withEnvironment("SEKISHO_RATELIMIT_REDIS_TIMEOUT", "1s");
        suite.start(Duration.ofSeconds(240));
    }

    @AfterAll
    static void stopIt() {
        if (suite != null) {
            suite.stop();
        }
        if (cluster != null) {
            cluster.stop();
        }
    }

    @Test
    void aLoginIsBudgetedAuditedAndItsLogoutHonouredEverywhere() {
        String ip = "203.0.113." + ThreadLocalRandom.current().nextInt(1, 255);
        String access = given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", ip)
                .body(Map.of("username", KeycloakTokens.DEMO, "password", KeycloakTokens.DEMO_PASSWORD,
                        "totp", Totp.fresh(KeycloakTokens.DEMO_TOTP)))
                .post("/v1/auth/token").then().statusCode(200).extract().path("access_token");
        given().baseUri(suite.url(SekishoService.SECRETS)).auth().oauth2(access).get("/v1/secrets").then().statusCode(200);
        String auditor = KeycloakTokens.auditor();
        await("the login's audit record, through the outbox's stream", () -> given().baseUri(suite.url(SekishoService.AUDIT))
                .auth().oauth2(auditor).queryParam("action", "auth.login.succeeded").queryParam("ip", ip).get("/v1/audit/events")
                .then().statusCode(200).extract().jsonPath().getList("events").isEmpty() ? null : true);

        given().baseUri(suite.url(SekishoService.AUTH)).auth().oauth2(access).contentType(ContentType.JSON).body("{}")
                .post("/v1/auth/logout").then().statusCode(200);
        await("the logout honoured by secrets-service (the revocation list)", () -> given().baseUri(suite.url(SekishoService.SECRETS))
                .auth().oauth2(access).get("/v1/secrets").then().extract().statusCode() == 401 ? true : null);
    }

    @Test
    void refusedLoginsFireAlertsAndSprayingBlocksTheAddress() {
        String auditor = KeycloakTokens.auditor();
        String victim = "cluster-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 5; i++) {
            given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", "198.51.100." + (i + 1))
                    .body(Map.of("username", victim, "password", "not-the-password", "totp", "000000"))
                    .post("/v1/auth/token").then().statusCode(401);
        }
        await("the brute-force alert (correlation windows in the cluster)", () -> given().baseUri(suite.url(SekishoService.ALERT))
                .auth().oauth2(auditor).queryParam("rule", "sekisho-auth-brute-force-user").get("/v1/alerts").then().statusCode(200)
                .extract().jsonPath().<Map<?, ?>>getList("alerts").stream()
                .anyMatch(a -> victim.equals(((Map<?, ?>) a.get("labels")).get("user"))) ? true : null);

        String ip = "198.18." + ThreadLocalRandom.current().nextInt(0, 256) + "." + ThreadLocalRandom.current().nextInt(1, 255);
        String batch = "cluster-spray-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 10; i++) {
            given().baseUri(suite.url(SekishoService.AUTH)).contentType(ContentType.JSON).header("X-Forwarded-For", ip)
                    .body(Map.of("username", batch + "-" + i, "password", "not-the-password", "totp", "000000"))
                    .post("/v1/auth/token").then().statusCode(401);
        }
        String admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
        await("the address blocked in ratelimit-service", () -> blocked(admin, ip) ? true : null);
        await("the block in audit-service", () -> given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor)
                .queryParam("action", "alert.playbook.block_ip").get("/v1/audit/events").then().statusCode(200).extract().jsonPath()
                .<Map<?, ?>>getList("events").stream().anyMatch(e -> ip.equals(((Map<?, ?>) e.get("attributes")).get("target"))) ? true : null);
        // its own chain, in its own database, whole
        Map<String, Object> verified = given().baseUri(suite.url(SekishoService.AUDIT)).auth().oauth2(auditor).get("/v1/audit/verify")
                .then().statusCode(200).extract().as(Map.class);
        assertEquals(Boolean.TRUE, verified.get("valid"), verified.toString());
    }

    /** Whether ratelimit-service holds a block of the address (its list of blocks, read with a reader's permission). */
    private static boolean blocked(String admin, String ip) {
        return given().baseUri(suite.url(SekishoService.RATELIMIT)).auth().oauth2(admin).queryParam("type", "ip").get("/v1/ratelimit/blocks").then()
                .statusCode(200).extract().asString().contains(ip);
    }

    private static <T> T await(String what, Supplier<T> probe) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            T found = probe.get();
            if (found != null) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not seen within 120 s; readiness: "
                        + given().baseUri(suite.managementUrl(SekishoService.AUTH)).get("/q/health/ready").then().extract().asString());
            }
            Ports.sleep(500);
        }
    }
}
