package dev.sekisho.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.sekisho.launcher.SekishoService;
import dev.sekisho.launcher.ServiceLauncher;
import dev.sekisho.launcher.ServicePorts;
import dev.sekisho.launcher.Suite;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

/**
 * Two secrets-service processes on one database, as two replicas behind a load balancer: writes to one secret from
 * both get distinct, gapless versions; a value tokenized on both at once gets one token; a ciphertext made on one
 * opens on the other the moment the key is rotated there; a key revoked on one is refused by the other at once.
 */
class SecretsAcrossInstancesTest {

    private static Suite suite;
    private static ServiceLauncher second;
    private static String operator;
    private static String admin;

    @BeforeAll
    static void startASecondInstance() throws Exception {
        suite = RunningSuite.get();
        Path log = Files.createDirectories(Path.of("target", "suite-logs")).resolve("secrets-service-second.log");
        second = ServiceLauncher.launch(Path.of(System.getProperty("sekisho.root")), SekishoService.SECRETS, ServicePorts.free(),
                suite.environment(SekishoService.SECRETS), log);
        second.awaitReady(Duration.ofSeconds(180), log);
        operator = KeycloakTokens.user(KeycloakTokens.DEMO, KeycloakTokens.DEMO_PASSWORD, KeycloakTokens.DEMO_TOTP);
        admin = KeycloakTokens.user(KeycloakTokens.ALICE, KeycloakTokens.ALICE_PASSWORD, KeycloakTokens.ALICE_TOTP);
    }

    @AfterAll
    static void stopIt() {
        if (second != null) {
            second.stop();
        }
    }

    private static RequestSpecification on(int instance, String token) {
        return given().baseUri(instance == 0 ? suite.url(SekishoService.SECRETS) : second.url()).auth().oauth2(token)
                .contentType(ContentType.JSON);
    }

    @Test
    void writesToOneSecretFromBothInstancesGetDistinctGaplessVersions() throws Exception {
        String path = "integrations/replicas-" + UUID.randomUUID().toString().substring(0, 8);
        List<Integer> versions = inParallel(16, i -> on(i % 2, operator).body(Map.of("data", Map.of("n", String.valueOf(i))))
                .put("/v1/secrets/" + path).then().statusCode(200).extract().path("version"));
        assertEquals(IntStream.rangeClosed(1, 16).boxed().collect(Collectors.toCollection(TreeSet::new)), new TreeSet<>(versions),
                "one version each, none lost, none twice: " + versions);
        for (int instance = 0; instance < 2; instance++) {
            on(instance, operator).get("/v1/secrets/" + path).then().statusCode(200)
                    .body("version", org.hamcrest.Matchers.equalTo(16));
        }
    }

    @Test
    void aValueTokenizedOnBothAtOnceGetsOneToken() throws Exception {
        String value = "4111-" + UUID.randomUUID();
        List<String> tokens = inParallel(8, i -> on(i % 2, operator).body(Map.of("values", List.of(value)))
                .post("/v1/tokens/tokenize/cards").then().statusCode(200).extract().path("tokens[0].token"));
        assertEquals(1, Set.copyOf(tokens).size(), "one live token per value, whichever instance asked: " + tokens);
    }

    @Test
    void aCiphertextOfAKeyRotatedOnOneInstanceOpensOnTheOtherAtOnce() {
        String key = "replicas-" + UUID.randomUUID().toString().substring(0, 8);
        on(0, admin).body("{}").post("/v1/transit/keys/" + key).then().statusCode(200);
        String plaintext = Base64.getEncoder().encodeToString("card 4111".getBytes());
        String v1 = on(0, operator).body(Map.of("plaintext", plaintext)).post("/v1/transit/encrypt/" + key).then().statusCode(200)
                .extract().path("ciphertext");
        // the second instance now holds version 1 in its cache
        on(1, operator).body(Map.of("ciphertext", v1)).post("/v1/transit/decrypt/" + key).then().statusCode(200)
                .body("plaintext", org.hamcrest.Matchers.equalTo(plaintext));
        on(0, admin).body("{}").post("/v1/transit/rotate/" + key).then().statusCode(200)
                .body("latestVersion", org.hamcrest.Matchers.equalTo(2));
        String v2 = on(0, operator).body(Map.of("plaintext", plaintext)).post("/v1/transit/encrypt/" + key).then().statusCode(200)
                .extract().path("ciphertext");
        assertEquals("sekisho:v2:", v2.substring(0, 11));
        on(1, operator).body(Map.of("ciphertext", v2)).post("/v1/transit/decrypt/" + key).then().statusCode(200)
                .body("plaintext", org.hamcrest.Matchers.equalTo(plaintext));
    }

    @Test
    void aKeyRevokedOnOneInstanceIsRefusedByTheOtherAtOnce() {
        String path = "integrations/replicas-key-" + UUID.randomUUID().toString().substring(0, 8);
        on(0, operator).body(Map.of("data", Map.of("k", "v"))).put("/v1/secrets/" + path).then().statusCode(200);
        Map<String, Object> issued = on(0, operator).body(Map.of("name", "replica probe", "owner", "team-replicas",
                "integrationId", Registry.approvedIntegration(suite.url(SekishoService.SECRETS), operator),
                "scopes", List.of("operator"))).post("/v1/apikeys").then().statusCode(201).extract().as(Map.class);
        String apiKey = (String) issued.get("key");
        given().baseUri(second.url()).header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(200);
        on(0, operator).body(Map.of("reason", "rotated out")).post("/v1/apikeys/" + issued.get("id") + "/revoke").then().statusCode(200);
        given().baseUri(second.url()).header("X-API-Key", apiKey).get("/v1/secrets/" + path).then().statusCode(401);
    }

    /** {@code n} calls at once, the i-th given i; their answers in order. */
    private static <T> List<T> inParallel(int n, java.util.function.IntFunction<T> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> answers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                answers.add(pool.submit((Callable<T>) () -> call.apply(index)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> answer : answers) {
                out.add(answer.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
