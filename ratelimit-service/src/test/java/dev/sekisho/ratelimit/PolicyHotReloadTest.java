package dev.sekisho.ratelimit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

import java.nio.file.Files;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.fixtures.KeycloakTokens;
import dev.sekisho.testing.resources.RedisTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** Editing the policy files changes the policies in force; a broken edit is refused and reported, nothing else. */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
@WithTestResource(PolicyDirTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class PolicyHotReloadTest {

    private static final String CHECK = "checks.find { it.name == 'rate-limit policies' }";

    @Test
    void editsApplyWithoutRestartAndABrokenEditKeepsThePreviousPolicies() throws Exception {
        policies().then().statusCode(200).body("name", hasItem("hot-1"));

        Files.writeString(PolicyDirTestResource.dir().resolve("more.yaml"), """
                domain: more
                descriptors:
                  - key: k
                    rate_limit: {name: hot-2, algorithm: token_bucket, per: 45s, requests_per_unit: 9, burst: 3}
                """);
        eventually(() -> policies().then().body("name", hasItems("hot-1", "hot-2")));

        Files.writeString(PolicyDirTestResource.dir().resolve("broken.yaml"), """
                domain: broken
                descriptors:
                  - key: k
                    rate_limit: {name: hot-3, unit: fortnight, requests_per_unit: 1}
                """);
        eventually(() -> given().get("/q/health/ready").then()
                .statusCode(200)
                .body(CHECK + ".status", equalTo("UP"))
                .body(CHECK + ".data.rejected", containsString("broken.yaml:4"))
                .body(CHECK + ".data.rejected", containsString("unknown unit 'fortnight'")));
        policies().then().body("name", hasItems("hot-1", "hot-2")).body("name", not(hasItem("hot-3")));

        Files.delete(PolicyDirTestResource.dir().resolve("broken.yaml"));
        eventually(() -> given().get("/q/health/ready").then().body(CHECK + ".data.rejected", nullValue()));
    }

    private static void eventually(Runnable assertion) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                assertion.run();
                return;
            } catch (AssertionError notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
    }

    /** The listing as an auditor sees it (it needs a token). */
    private static io.restassured.response.Response policies() {
        return given().auth().oauth2(KeycloakTokens.auditor())
                .get("/v1/ratelimit/policies");
    }
}
